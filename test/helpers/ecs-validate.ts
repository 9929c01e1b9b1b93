import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { projectFile } from '../../src/paths.js';

interface EcsField {
  type: string;
  normalize: string[];
  required?: boolean;
  allowed_values?: Array<{ name: string; expected_event_types?: string[] }>;
}

interface EcsFixture {
  version: string;
  fieldSets: string[];
  /** The field sets whose fields are all in `fields` (others only for their required fields). */
  vendoredFieldSets: string[];
  fields: Record<string, EcsField>;
}

/** ECS 9.0.0 as vendored in test/fixtures/ecs-9.0.0 (see the README there). */
export const loadEcsFields = (): EcsFixture =>
  JSON.parse(readFileSync(projectFile('test', 'fixtures', 'ecs-9.0.0', 'fields.json'), 'utf8')) as EcsFixture;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What a JSON value must be for each ECS field type the vendored field sets use. */
const TYPES: Record<string, (v: unknown) => boolean> = {
  keyword: (v) => typeof v === 'string',
  constant_keyword: (v) => typeof v === 'string',
  wildcard: (v) => typeof v === 'string',
  match_only_text: (v) => typeof v === 'string',
  // ECS dates are ISO 8601 strings (epoch millis would also index; we send strings).
  date: (v) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(Date.parse(v)),
  ip: (v) => typeof v === 'string' && isIP(v) !== 0,
  long: (v) => Number.isSafeInteger(v),
  float: (v) => typeof v === 'number',
  scaled_float: (v) => typeof v === 'number',
  boolean: (v) => typeof v === 'boolean',
  object: isObject,
  flattened: isObject,
  nested: (v) => isObject(v) || (Array.isArray(v) && v.every(isObject)),
};

/**
 * Checks one document against ECS: every field it sends (other than under the custom
 * namespace, which must not be an ECS field set) exists in ECS with a value of its
 * type; arrays only where ECS normalises to arrays, and always there; categorisation
 * fields use allowed values, and each `event.type` is one ECS expects for every
 * `event.category` given; required fields are present. Returns [] when valid.
 */
export function validateEcsDocument(ecs: EcsFixture, doc: Record<string, unknown>, customNamespace: string): string[] {
  const problems: string[] = [];
  if (ecs.fieldSets.includes(customNamespace)) problems.push(`${customNamespace}: is an ECS field set, not a free custom namespace`);
  const leaves: Array<[string, unknown]> = [];
  const walk = (value: unknown, path: string) => {
    const field = ecs.fields[path];
    if (path === customNamespace) return;
    if (!isObject(value) || (field && ['object', 'flattened', 'nested'].includes(field.type))) leaves.push([path, value]);
    else for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
  };
  walk(doc, '');

  for (const [path, value] of leaves) {
    const field = ecs.fields[path];
    if (!field) {
      const set = path.split('.')[0]!;
      problems.push(ecs.fieldSets.includes(set) && !ecs.vendoredFieldSets.includes(set)
        ? `${path}: ECS field set ${set} is not vendored (add it to test/fixtures/vendor-standards.ts)`
        : `${path}: not an ECS ${ecs.version} field`);
      continue;
    }
    const asArray = field.normalize.includes('array');
    if (Array.isArray(value) !== asArray) problems.push(`${path}: ECS ${asArray ? 'expects an array' : 'does not normalise this field to an array'}`);
    const check = TYPES[field.type];
    if (!check) problems.push(`${path}: ECS type ${field.type} is not handled by this validator`);
    for (const v of [value].flat()) {
      if (check && !check(v)) problems.push(`${path}: ${JSON.stringify(v)} is not an ECS ${field.type}`);
      if (field.allowed_values && !field.allowed_values.some((a) => a.name === v)) problems.push(`${path}: ${JSON.stringify(v)} is not an allowed value`);
    }
  }

  const flat = Object.fromEntries(leaves);
  for (const [name, field] of Object.entries(ecs.fields)) if (field.required && flat[name] === undefined) problems.push(`${name}: required by ECS, missing`);
  const categories = ecs.fields['event.category']?.allowed_values ?? [];
  for (const category of [flat['event.category'] ?? []].flat()) {
    const expected = categories.find((c) => c.name === category)?.expected_event_types;
    for (const type of [flat['event.type'] ?? []].flat()) {
      if (expected && !expected.includes(type as string)) problems.push(`event.type: ${JSON.stringify(type)} is not expected with event.category ${JSON.stringify(category)}`);
    }
  }
  return problems;
}
