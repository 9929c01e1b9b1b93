import { isWritable } from '../core/record-input.js';
import type { FieldModel, Model, ResourceModel } from '../model/model.js';
import { generatedResources } from '../model/own-doors.js';

/**
 * The GraphQL door of every stored resource the model does not give a door of its own
 * (model/own-doors.ts), generated from the model at start-up: for Patient (plural
 * `patients`) the type `Patient`, `PatientConnection`, the inputs `CreatePatientInput` and
 * `UpdatePatientInput`, the queries `patient(id)` and `patients(first, after, filter,
 * sort)`, the mutations `createPatient`, `updatePatient` and `deletePatient`; a field to
 * the record each `ref` names, and a nested list per child resource.
 */

/** A ref field and the field of its type that resolves to the record it names. */
export interface RefLink {
  field: FieldModel;
  /** `patientId` -> `patient`; `<field>Record` where that is taken (or the field has no `Id` suffix). */
  name: string;
}

/** A resource whose `parent` is this one, listed under it. */
export interface ChildLink {
  child: ResourceModel;
  /** The child's plural: `Patient.consultations`. */
  name: string;
}

export interface GeneratedDoor {
  resource: ResourceModel;
  type: string;
  connection: string;
  createInput: string;
  updateInput: string;
  /** Query fields: `patient`, `patients`. */
  single: string;
  list: string;
  /** Mutation fields. */
  create: string;
  update: string;
  delete: string;
  /** The fields a record is served with: a file's is what is known of it (its bytes are REST only). */
  fields: FieldModel[];
  /** The fields a create or update may send. */
  writable: FieldModel[];
  refs: RefLink[];
  children: ChildLink[];
}

const lowerFirst = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);

/** The generated doors of `model`, in the order the policy declares the resources. */
export function generatedDoors(model: Model): GeneratedDoor[] {
  const generated = generatedResources(model);
  return generated.map((r) => {
    const fields = [...r.fields];
    const children = generated.filter((c) => c.parent?.resource === r.name).map((child) => ({ child, name: child.plural }));
    const taken = new Set([...fields.map((f) => f.name), 'access', ...children.map((c) => c.name)]);
    const refs: RefLink[] = [];
    for (const field of fields.filter((f) => f.type === 'ref')) {
      const stripped = field.name.replace(/Id$/, '');
      const name = stripped !== field.name && stripped !== '' && !taken.has(stripped) ? stripped : `${field.name}Record`;
      taken.add(name);
      refs.push({ field, name });
    }
    return {
      resource: r,
      type: r.name,
      connection: `${r.name}Connection`,
      createInput: `Create${r.name}Input`,
      updateInput: `Update${r.name}Input`,
      single: lowerFirst(r.name),
      list: r.plural,
      create: `create${r.name}`,
      update: `update${r.name}`,
      delete: `delete${r.name}`,
      fields,
      writable: r.fields.filter(isWritable),
      refs,
      children,
    };
  });
}

/**
 * GraphQL types of the model's field types. `integer` is Float: its column is a bigint and
 * the core takes any safe integer (up to 2^53 - 1), which GraphQL's 32-bit Int could not
 * carry; a Float holds every one of them exactly, and the core refuses a fraction.
 * Enums, dates, timestamps and decimals are Strings (formats in the descriptions), so
 * that a value the model refuses reaches the client as the core's VALIDATION_FAILED.
 */
export function graphqlTypeOf(f: FieldModel): string {
  switch (f.type) {
    case 'id':
    case 'ref':
      return 'ID';
    case 'integer':
      return 'Float';
    case 'boolean':
      return 'Boolean';
    case 'string[]':
      return '[String!]';
    case 'file':
      return STORED_FILE;
    default:
      return 'String';
  }
}

/** The type of a `file` field's value: what is known of the bytes, opened over REST. */
export const STORED_FILE = 'StoredFile';

const storedFileSdl = () => `${described("A file stored by fieldguard: its bytes are opened with GET /v1/<plural>/{id}/<field> (a clear read of the field, audited) and replaced with PUT.", '')}type ${STORED_FILE} {
  "The media type given when it was uploaded."
  mediaType: String!
  "Its size in bytes."
  sizeBytes: Float!
  "The SHA-256 of its bytes, hex."
  sha256: String!
}`;

/** What a value of the field looks like, for its description. */
function formatOf(f: FieldModel): string | undefined {
  switch (f.type) {
    case 'ref':
      return `The id of a ${f.ref}.`;
    case 'enum':
      return `One of: ${(f.values ?? []).join(', ')}.`;
    case 'date':
      return 'A date, YYYY-MM-DD.';
    case 'timestamp':
      return `An ISO 8601 timestamp${f.generated ? `, set by the service (${f.generated})` : ''}.`;
    case 'decimal':
      return 'A decimal number as text (no precision lost).';
    case 'integer':
      return 'A whole number (a Float in GraphQL, whose Int is 32-bit; exact up to 2^53 - 1).';
    case 'file':
      return 'Null until a file is uploaded; never masked: read in clear or withheld.';
    default:
      return undefined;
  }
}

/** A GraphQL string literal (JSON's escapes are a subset of GraphQL's). */
const quoted = (text: string) => JSON.stringify(text);

const described = (text: string | undefined, indent = '  ') => (text ? `${indent}${quoted(text)}\n` : '');

function fieldDescription(f: FieldModel, masksAsNull: boolean): string | undefined {
  const notes = [f.description, formatOf(f), masksAsNull ? 'Null also when masked for the caller (a mask is text; `access.masked` names it).' : undefined];
  const text = notes.filter((n): n is string => n !== undefined && n.trim() !== '').join('\n\n');
  return text === '' ? undefined : text;
}

/** Types whose values a mask (always text) cannot take: a masked value is null there. */
export const masksAsNull = (f: FieldModel) => f.type === 'integer' || f.type === 'boolean';

const PAGE_ARGS = '(first: Int, after: String)';

/**
 * The SDL of the generated doors: their types and inputs, and `type Query` / `type
 * Mutation` holding only their root fields (schema-sdl.ts merges those into the served
 * roots). Empty strings when the model has no generated resource.
 */
export function generatedSdl(doors: readonly GeneratedDoor[]): { types: string; query: string; mutation: string } {
  const types: string[] = [];
  const query: string[] = [];
  const mutation: string[] = [];
  for (const d of doors) {
    const r = d.resource;
    const parentNote = r.parent ? ` It exists for a caller only where its ${r.parent.resource} does.` : '';
    const lines: string[] = [];
    for (const f of d.fields) lines.push(`${described(fieldDescription(f, masksAsNull(f)))}  ${f.name}: ${graphqlTypeOf(f)}`);
    lines.push('  access: FieldAccess!');
    for (const ref of d.refs) {
      lines.push(
        `${described(`The ${ref.field.ref} that ${ref.field.name} names, rendered by the caller's ${ref.field.ref} rules (batched, audited as a read of it); null when ${ref.field.name} is not clear to the caller or that ${ref.field.ref} does not exist for them.`)}  ${ref.name}: ${ref.field.ref}`,
      );
    }
    for (const c of d.children) {
      lines.push(
        `${described(
          `This ${r.name}'s ${c.child.plural} the caller may see, in id order. \`first\` is 1..100 (default 20); \`after\` takes this list's \`pageInfo.endCursor\`. Batched across ${r.plural}: one SQL statement and one \`list\` audit event per level. Null when the caller does not read this ${r.name}'s ${r.id.name} in clear.`,
        )}  ${c.name}${PAGE_ARGS}: ${c.child.name}Connection`,
      );
    }
    types.push(
      `${described(`A ${r.name} (stored as \`${r.plural}\`). Every field is nullable: a field the caller may not read is null and named in \`access.withheld\`; a masked one is named in \`access.masked\`.${parentNote}`, '')}type ${d.type} {\n${lines.join('\n')}\n}`,
      `type ${d.connection} {\n  nodes: [${d.type}!]!\n  pageInfo: PageInfo!\n}`,
    );
    const inputField = (f: FieldModel, create: boolean) =>
      `${described(fieldDescription(f, false))}  ${f.name}: ${graphqlTypeOf(f)}${create && f.required ? '!' : ''}`;
    if (d.writable.length > 0) {
      types.push(`input ${d.createInput} {\n${d.writable.map((f) => inputField(f, true)).join('\n')}\n}`);
      types.push(`input ${d.updateInput} {\n${d.writable.map((f) => inputField(f, false)).join('\n')}\n}`);
    }
    query.push(
      `${described(`One ${r.name}; null with a NOT_FOUND error when it does not exist or the caller may not see it.`)}  ${d.single}(id: ID!): ${d.type}`,
      `${described(
        `${r.name} records the caller may see, in a stable order. \`first\` is 1..100 (default 20); \`after\` a previous page's \`pageInfo.endCursor\`. \`filter\`: exact matches, only on fields the caller reads in clear (on a list field: contains). \`sort\`: a field that is never null (\`${r.id.name}\` by default), \`-\` for descending; refused unless the field is clear on every record the caller sees.`,
      )}  ${d.list}(first: Int, after: String, filter: [FieldFilter!], sort: String): ${d.connection}`,
    );
    const childNote = d.children.length > 0 ? ` HAS_CHILDREN, and nothing deleted, while it still has ${d.children.map((c) => c.name).join(' or ')}.` : '';
    if (d.writable.length > 0) {
      mutation.push(
        `${described(`Creates a ${r.name}; the caller's rules decide which fields it may write (FIELD_NOT_WRITABLE otherwise).`)}  ${d.create}(input: ${d.createInput}!): ${d.type}`,
        `${described(`Updates the fields sent; null with NOT_FOUND when the caller may not see the ${r.name}.`)}  ${d.update}(id: ID!, input: ${d.updateInput}!): ${d.type}`,
      );
    } else {
      mutation.push(`${described(`Creates a ${r.name}; it has no field a caller writes.`)}  ${d.create}: ${d.type}`);
    }
    mutation.push(`${described(`True when the ${r.name} was deleted.${childNote}`)}  ${d.delete}(id: ID!): Boolean`);
  }
  if (doors.some((d) => d.resource.file)) types.push(storedFileSdl());
  const root = (name: string, fields: string[]) => (fields.length > 0 ? `type ${name} {\n${fields.join('\n')}\n}` : '');
  return { types: types.join('\n\n'), query: root('Query', query), mutation: root('Mutation', mutation) };
}
