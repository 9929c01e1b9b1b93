import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { DEFAULT_POLICY_FILE } from '../paths.js';
import { compileModel } from './load-model.js';
import { resourceSchema, type ResourceSpec } from './model-document.js';
import type { Model, ResourceModel } from './model.js';

const BUILT_IN = ['Customer', 'Booking', 'Document'] as const;

let builtIn: ReadonlyMap<string, ResourceModel> | undefined;

/** Customer, Booking and Document as the default policy stores them (the migrations' tables). */
function builtInResources(): ReadonlyMap<string, ResourceModel> {
  if (!builtIn) {
    const declared = (parse(readFileSync(DEFAULT_POLICY_FILE, 'utf8')) as { resources: Record<string, unknown> }).resources;
    const specs = Object.fromEntries(BUILT_IN.map((name) => [name, resourceSchema.parse(declared[name])])) as Record<string, ResourceSpec>;
    const problems: string[] = [];
    builtIn = compileModel(specs, (path, message) => problems.push(`${path.join('.')}: ${message}`)).resources;
    if (problems.length > 0) throw new Error(`The default policy's model is invalid: ${problems.join('; ')}`);
  }
  return builtIn;
}

/**
 * A policy written before the data model declared Customer, Booking and Document without
 * a plural (rules and masks only), and was served from the tables the migrations built.
 * It still is: those resources, when declared but not stored, get the default policy's
 * storage. The policy's own field list still decides what is rendered and written.
 */
export function withBuiltInStorage(model: Model, declared: Record<string, ResourceSpec>): Model {
  const missing = BUILT_IN.filter((name) => declared[name] !== undefined && declared[name].plural === undefined && !model.resources.has(name));
  if (missing.length === 0) return model;
  const resources = new Map(model.resources);
  // Bookings and documents nest under their customer: its storage comes with theirs.
  // Storage only: the default policy's purposes and retention are its own, not this policy's.
  for (const name of new Set(['Customer', ...missing])) if (!resources.has(name)) resources.set(name, { ...builtInResources().get(name)!, purposes: undefined, retention: undefined });
  return { ...model, resources };
}
