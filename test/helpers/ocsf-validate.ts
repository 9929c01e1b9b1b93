import type { OcsfAttribute, OcsfItem, OcsfSchema } from './ocsf-schema.js';

/**
 * Checks one event against an OCSF class, with the rules of OCSF's own validator
 * (ocsf-server's validator2): no attribute outside the class or object (extras belong in
 * `unmapped`); every `required` attribute present; each value of its dictionary type
 * (regex, max_len, range of the type and its super types); enum values defined; an
 * enum's `_name` sibling equal to the value's caption, except for 99 (Other), where it
 * must carry the source's own label instead; `at_least_one` / `just_one` constraints
 * of the class and every object; type_uid = class_uid * 100 + activity_id; nothing
 * deprecated. Attributes that come from a profile count only when the event names that
 * profile in `metadata.profiles`. Where ocsf-server only warns (sibling mismatch,
 * deprecation), this fails: the feed has no reason to be merely close.
 *
 * Returns the problems found, each prefixed with the attribute path; [] means valid.
 */
export function validateOcsfEvent(schema: OcsfSchema, event: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const metadata = event.metadata as { profiles?: string[] } | undefined;
  const profiles = new Set(metadata?.profiles ?? []);
  checkItem(schema, profiles, schema.event, event, '', problems);
  const { class_uid, activity_id, type_uid } = event;
  if (typeof class_uid === 'number' && typeof activity_id === 'number' && type_uid !== class_uid * 100 + activity_id) {
    problems.push(`type_uid: ${String(type_uid)} is not class_uid * 100 + activity_id (${class_uid * 100 + activity_id})`);
  }
  return problems;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const OTHER = '99';

function checkItem(schema: OcsfSchema, profiles: Set<string>, item: OcsfItem, value: unknown, path: string, problems: string[]): void {
  if (!isObject(value)) {
    problems.push(`${path.replace(/\.$/, '') || '(event)'}: expected a ${item.name} object, got ${JSON.stringify(value)}`);
    return;
  }
  const applies = ([, a]: [string, OcsfAttribute]) => !a.profiles || a.profiles.some((p) => profiles.has(p));
  const attributes = Object.fromEntries(Object.entries(item.attributes).filter(applies));
  const at = (name: string) => `${path}${name}`;

  for (const name of Object.keys(value)) {
    if (!attributes[name]) problems.push(`${at(name)}: not an attribute of ${item.name}`);
  }
  for (const [name, attribute] of Object.entries(attributes)) {
    if (!(name in value)) {
      if (attribute.requirement === 'required') problems.push(`${at(name)}: required by ${item.name}, missing`);
      continue;
    }
    if (attribute['@deprecated']) problems.push(`${at(name)}: deprecated in ${item.name}`);
    const v = value[name];
    if (attribute.is_array) {
      if (!Array.isArray(v)) problems.push(`${at(name)}: expected an array`);
      else v.forEach((element, i) => checkValue(schema, profiles, attribute, element, `${at(name)}[${i}]`, problems));
    } else {
      checkValue(schema, profiles, attribute, v, at(name), problems);
    }
    if (attribute.enum && !attribute.is_array) checkEnum(attribute, name, value, path, problems);
  }
  const present = (names: string[]) => names.filter((n) => value[n] !== undefined && value[n] !== null);
  const { at_least_one: atLeastOne, just_one: justOne } = item.constraints ?? {};
  const where = path.replace(/\.$/, '') || '(event)';
  if (atLeastOne && present(atLeastOne).length === 0) problems.push(`${where}: ${item.name} needs at least one of ${atLeastOne.join(', ')}`);
  if (justOne && present(justOne).length !== 1) problems.push(`${where}: ${item.name} needs exactly one of ${justOne.join(', ')}`);
}

function checkEnum(attribute: OcsfAttribute, name: string, item: Record<string, unknown>, path: string, problems: string[]): void {
  const key = String(item[name]);
  const entry = attribute.enum![key];
  if (!entry) {
    problems.push(`${path}${name}: ${key} is not one of ${Object.keys(attribute.enum!).join(', ')}`);
    return;
  }
  const sibling = attribute.sibling;
  if (!sibling) return;
  const label = item[sibling];
  if (key === OTHER) {
    // "Other": the sibling is where the source's own value goes; the caption says nothing.
    if (typeof label !== 'string' || label === '' || label === entry.caption) {
      problems.push(`${path}${sibling}: with ${name} 99 it must carry the source's own label, got ${JSON.stringify(label)}`);
    }
  } else if (label !== undefined && label !== entry.caption) {
    problems.push(`${path}${sibling}: ${JSON.stringify(label)} is not the caption of ${name} ${key} (${JSON.stringify(entry.caption)})`);
  }
}

function checkValue(schema: OcsfSchema, profiles: Set<string>, attribute: OcsfAttribute, v: unknown, path: string, problems: string[]): void {
  const type = attribute.type;
  if (type === 'object') {
    if (!isObject(v)) problems.push(`${path}: expected a JSON object`);
  } else if (schema.types[type]) {
    checkPrimitive(schema, type, v, path, problems);
  } else if (schema.objects[type]) {
    checkItem(schema, profiles, schema.objects[type], v, `${path}.`, problems);
  } else {
    problems.push(`${path}: object type ${type} is not vendored (re-run test/fixtures/vendor-standards.ts)`);
  }
}

const BASE_TYPES: Record<string, (v: unknown) => boolean> = {
  string_t: (v) => typeof v === 'string',
  integer_t: (v) => Number.isInteger(v),
  long_t: (v) => Number.isInteger(v),
  float_t: (v) => typeof v === 'number' && Number.isFinite(v),
  boolean_t: (v) => typeof v === 'boolean',
  json_t: () => true,
};

/** A dictionary type and each of its super types in turn: every level's limits apply. */
function checkPrimitive(schema: OcsfSchema, typeName: string, v: unknown, path: string, problems: string[]): void {
  for (let name: string | undefined = typeName; name; name = schema.types[name]?.type) {
    const t = schema.types[name]!;
    const base = BASE_TYPES[name];
    if (base && !base(v)) problems.push(`${path}: ${JSON.stringify(v)} is not a ${name} (as ${typeName})`);
    if (t.regex && typeof v === 'string' && !new RegExp(t.regex).test(v)) problems.push(`${path}: ${JSON.stringify(v)} does not match ${name}`);
    if (t.max_len !== undefined && typeof v === 'string' && [...v].length > t.max_len) problems.push(`${path}: longer than ${name}'s ${t.max_len}`);
    if (t.range && typeof v === 'number' && (v < t.range[0] || v > t.range[1])) problems.push(`${path}: ${v} outside ${name}'s range`);
    if (t.values && !t.values.includes(v)) problems.push(`${path}: ${JSON.stringify(v)} not among ${name}'s values`);
  }
}
