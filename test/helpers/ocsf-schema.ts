import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { projectFile } from '../../src/paths.js';

/**
 * The OCSF 1.3.0 definitions vendored in test/fixtures/ocsf-1.3.0, assembled the way
 * the OCSF schema compiler assembles its source files: `$include`d attributes under the
 * item's own, each `extends` parent under its child (other keys, such as `constraints`,
 * are inherited unless the child sets them), then every attribute laid over its
 * dictionary entry (type, enum, sibling). For the class, the compiler's derived enums
 * (class_uid, category_uid, type_uid) are added from the category and activity enums.
 */

export interface OcsfAttribute {
  type: string;
  is_array?: boolean;
  requirement?: 'required' | 'recommended' | 'optional';
  enum?: Record<string, { caption: string }>;
  sibling?: string;
  /** Null or absent: always part of the item; otherwise only when one of these profiles is applied. */
  profiles?: string[] | null;
  '@deprecated'?: unknown;
}

export interface OcsfItem {
  name: string;
  caption: string;
  attributes: Record<string, OcsfAttribute>;
  constraints?: { at_least_one?: string[]; just_one?: string[] };
}

export interface OcsfType {
  type?: string;
  regex?: string;
  max_len?: number;
  range?: [number, number];
  values?: unknown[];
}

export interface OcsfSchema {
  event: OcsfItem;
  objects: Record<string, OcsfItem>;
  types: Record<string, OcsfType>;
}

type Json = Record<string, any>;
const ROOT = projectFile('test', 'fixtures', 'ocsf-1.3.0');
const readJson = (rel: string): Json => JSON.parse(readFileSync(join(ROOT, rel), 'utf8'));
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `over` wins; objects (attribute details, enums) merge key by key. */
function deepMerge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isObject(v) && isObject(out[k]) ? deepMerge(out[k], v) : v;
  return out;
}

/** An attribute's `profile` (source form) as the compiler's `profiles` list; `null` opts out of one. */
const upgradeProfile = ({ profile, ...rest }: Json): Json => (profile === undefined ? rest : { ...rest, profiles: profile === null ? null : [profile] });

function withIncludes(raw: Json): Json {
  const { $include = [], ...own } = raw.attributes ?? {};
  let attributes: Json = Object.fromEntries(Object.entries(own).map(([k, v]) => [k, upgradeProfile(v as Json)]));
  for (const rel of [$include].flat() as string[]) {
    const included = readJson(rel);
    const profile = included.meta === 'profile' ? [included.name] : undefined;
    const base = Object.fromEntries(Object.entries<Json>(included.attributes).map(([k, v]) => [k, profile ? { ...v, profiles: profile } : v]));
    attributes = deepMerge(base, attributes);
  }
  return { ...raw, attributes };
}

/** Every vendored item of one kind (events or objects), by name, resolved through `extends`. */
function resolveAll(dir: string): Record<string, Json> {
  const raw: Record<string, Json> = {};
  for (const file of readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.json'))) {
    const item = withIncludes(readJson(join(dir, file)));
    raw[item.name] = item;
  }
  const resolved: Record<string, Json> = {};
  const resolve = (name: string): Json => {
    if (resolved[name]) return resolved[name];
    const item = raw[name];
    if (!item) throw new Error(`OCSF ${dir} "${name}" is not vendored: re-run test/fixtures/vendor-standards.ts`);
    const parent = item.extends && item.extends !== 'object' ? resolve(item.extends) : { attributes: {} };
    return (resolved[name] = { ...parent, ...item, attributes: deepMerge(parent.attributes, item.attributes) });
  };
  for (const name of Object.keys(raw)) resolve(name);
  return resolved;
}

function finish(item: Json, dictionary: Json): OcsfItem {
  const attributes = Object.fromEntries(
    Object.entries<Json>(item.attributes).map(([name, own]) => {
      if (!dictionary[name]) throw new Error(`OCSF attribute "${name}" of ${item.name} is not in the vendored dictionary`);
      return [name, deepMerge(dictionary[name], own) as OcsfAttribute];
    }),
  );
  return { name: item.name, caption: item.caption, attributes, ...(item.constraints && { constraints: item.constraints }) };
}

/** The class's own uid enums, as the compiler derives them: class_uid, category_uid, type_uid. */
function addDerivedEnums(cls: OcsfItem, raw: Json, categories: Json): void {
  const category = categories[raw.category];
  const classUid = category.uid * 1000 + raw.uid;
  const a = cls.attributes;
  a.category_uid = { ...a.category_uid!, enum: { [category.uid]: { caption: category.caption } } };
  a.class_uid = { ...a.class_uid!, enum: { [classUid]: { caption: cls.caption } } };
  const activities = Object.entries(a.activity_id!.enum!);
  const typeUids = activities.map(([id, { caption }]) => [String(classUid * 100 + Number(id)), { caption: `${cls.caption}: ${caption}` }]);
  a.type_uid = { ...a.type_uid!, enum: Object.fromEntries(typeUids) };
}

/** The definitions needed to check one event class and the objects it carries. */
export function loadOcsfSchema(className = 'api_activity'): OcsfSchema {
  const dictionary = readJson('dictionary.json');
  const events = resolveAll('events');
  const raw = events[className];
  if (!raw) throw new Error(`OCSF class ${className} is not vendored`);
  const event = finish(raw, dictionary.attributes);
  addDerivedEnums(event, raw, readJson('categories.json').attributes);
  const objects = Object.fromEntries(Object.entries(resolveAll('objects')).map(([name, o]) => [name, finish(o, dictionary.attributes)]));
  return { event, objects, types: dictionary.types.attributes };
}
