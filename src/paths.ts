import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder holding package.json, schema.graphql and openapi.yaml. Found by walking
 * up, so the same code works from src/ (tsx) and from dist/src/ (compiled).
 */
function findProjectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('Cannot find the project root (package.json)');
    dir = parent;
  }
  return dir;
}

export const projectRoot = findProjectRoot();
export const projectFile = (...parts: string[]) => join(projectRoot, ...parts);
export const DEFAULT_POLICY_FILE = projectFile('policies', 'default.yaml');
/** Where `npm run console:build` writes the web console (src/console/web/vite.config.ts). */
export const CONSOLE_DIST = projectFile('dist', 'console');
