import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { projectFile } from '../paths.js';

const require = createRequire(import.meta.url);
const fromPackage = (name: string, file: string) => join(dirname(require.resolve(`${name}/package.json`)), file);
const page = (file: string) => projectFile('src', 'graphql', 'graphiql', file);

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/**
 * Everything the page loads, by URL: GraphiQL's and React's browser builds from our own
 * npm dependencies (versions pinned in package.json, GraphiQL 3 being the last line that
 * ships a prebuilt browser bundle), and the small page around them. Nothing comes from a
 * CDN, so GraphiQL works offline and the CSP allows only 'self'. A fixed list: no path
 * from the URL ever reaches the file system.
 */
const FILES: Record<string, { path: string; type: string }> = {
  '/graphiql': { path: page('page.html'), type: 'text/html; charset=utf-8' },
  '/graphiql/page.js': { path: page('page.js'), type: JS },
  '/graphiql/page.css': { path: page('page.css'), type: CSS },
  '/graphiql/vendor/react.production.min.js': { path: fromPackage('react', 'umd/react.production.min.js'), type: JS },
  '/graphiql/vendor/react-dom.production.min.js': { path: fromPackage('react-dom', 'umd/react-dom.production.min.js'), type: JS },
  '/graphiql/vendor/graphiql.min.js': { path: fromPackage('graphiql', 'graphiql.min.js'), type: JS },
  '/graphiql/vendor/graphiql.min.css': { path: fromPackage('graphiql', 'graphiql.min.css'), type: CSS },
};

/**
 * GraphiQL at /graphiql, registered only outside production. The page files live in
 * src/graphql/graphiql/ (the production image, which serves no GraphiQL, leaves them out).
 */
export async function graphiqlPlugin(app: FastifyInstance) {
  for (const [url, file] of Object.entries(FILES)) {
    app.get(url, { schema: { hide: true } }, async (_request, reply) => reply.type(file.type).send(createReadStream(file.path)));
  }
}
