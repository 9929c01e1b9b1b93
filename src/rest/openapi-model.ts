import { DECIMAL_TEXT, IBAN_TEXT, isWritable, MAX_EMAIL, MAX_LIST, MAX_LIST_ITEM, MAX_STRING, MAX_TEXT, PHONE_TEXT } from '../core/record-input.js';
import { ID_TEXT } from '../data/record.repository.js';
import { filterableFields, sortableFields } from '../core/record-query.js';
import type { FieldModel, Model, ResourceModel } from '../model/model.js';
import { generatedResources, resourcesWithOwnDoors } from '../model/own-doors.js';
import { exportQuery, idParams, pageQuery } from './records.routes.js';

/**
 * The OpenAPI document a policy's model serves: the hand-written openapi.yaml (the base)
 * with its customer, booking and document doors kept only where the model gives those
 * resources their own doors, plus paths and schemas for every resource the generated door
 * serves (rest/records.routes.ts), from the model. With the default policy nothing is
 * generated and the document is openapi.yaml as written.
 */

type Json = Record<string, unknown>;
export type OpenApiDocument = Json & { paths: Record<string, Json>; components: Record<string, Record<string, unknown>>; tags?: Json[] };

/** The tags openapi.yaml gives the hand-written doors: the resource's plural, as for generated ones. */
const OWN_DOOR_TAGS: Readonly<Record<string, string>> = { Customer: 'customers', Booking: 'bookings', Document: 'documents' };

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
/** Component sections reached only by `$ref` (security schemes are named by `security`, and always kept). */
const REFERENCED_SECTIONS = ['schemas', 'responses', 'parameters', 'examples', 'requestBodies', 'headers', 'links', 'callbacks', 'pathItems'];

const ref = (section: string, name: string) => ({ $ref: `#/components/${section}/${name}` });
const response = (name: string, description?: string) => ({ ...ref('responses', name), ...(description ? { description } : {}) });
const security = () => [{ bearerAuth: [] }];
const commonHeaders = () => [ref('parameters', 'XPurpose'), ref('parameters', 'XRequestId')];
const requestIdHeader = () => ({ 'X-Request-Id': ref('headers', 'XRequestId') });
const code = (c: string) => `\`${c}\``;
const list = (names: readonly string[]) => names.map(code).join(', ');

/** `medicalDocuments` -> `MedicalDocuments`, for operation ids. */
const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The error codes each generated operation can answer besides 401, 500 and 503 (see the unit test). */
export function generatedOperationCodes(r: ResourceModel, model: Model): Record<string, readonly string[]> {
  const hasChildren = [...model.resources.values()].some((c) => c.parent?.resource === r.name);
  const hasRefs = r.fields.some((f) => f.type === 'ref');
  return {
    list: ['VALIDATION_FAILED', 'INVALID_CURSOR', 'FIELD_NOT_QUERYABLE', 'FORBIDDEN', 'BUDGET_EXCEEDED'],
    export: ['VALIDATION_FAILED', 'FORBIDDEN', 'BUDGET_EXCEEDED'],
    get: ['VALIDATION_FAILED', 'NOT_FOUND', 'BUDGET_EXCEEDED'],
    create: ['BAD_REQUEST', 'VALIDATION_FAILED', 'UNKNOWN_FIELD', 'MASKED_VALUE', 'FORBIDDEN', 'FIELD_NOT_WRITABLE', ...(hasRefs ? ['NOT_FOUND'] : [])],
    update: ['BAD_REQUEST', 'VALIDATION_FAILED', 'UNKNOWN_FIELD', 'MASKED_VALUE', 'FORBIDDEN', 'FIELD_NOT_WRITABLE', 'NOT_FOUND', 'BUDGET_EXCEEDED'],
    delete: ['VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND', ...(hasChildren ? ['HAS_CHILDREN'] : [])],
    ...(r.file
      ? {
          download: ['VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND', 'BUDGET_EXCEEDED'],
          upload: ['VALIDATION_FAILED', 'FORBIDDEN', 'FIELD_NOT_WRITABLE', 'NOT_FOUND', 'PAYLOAD_TOO_LARGE'],
        }
      : {}),
  };
}

/** The document the running policy's model serves, built from `base` (openapi.yaml, left as it is). */
export function buildOpenApiDocument(model: Model, base: Json): OpenApiDocument {
  const doc = structuredClone(base) as OpenApiDocument;
  const own = resourcesWithOwnDoors(model);
  const dropped = new Set(Object.entries(OWN_DOOR_TAGS).filter(([name]) => !own.has(name)).map(([, tag]) => tag));
  const generated = generatedResources(model);

  // The base's paths, without the doors this model does not have; the generated ones go
  // after the last resource door, before the policy and audit paths.
  const basePaths = Object.entries(doc.paths)
    .map(([path, item]) => [path, withoutOperationsTagged(item, dropped)] as const)
    .filter(([, item]) => METHODS.some((m) => m in item));
  const cursorDescription = (doc.components.parameters?.Cursor as Json | undefined)?.description;
  const generatedPaths = generated.flatMap((r) => Object.entries(resourcePaths(r, model, typeof cursorDescription === 'string' ? cursorDescription : undefined)));
  const at = basePaths.findIndex(([path]) => /^\/v1\/(policy|audit)(\/|$)/.test(path));
  const insertAt = at < 0 ? basePaths.length : at;
  doc.paths = Object.fromEntries([...basePaths.slice(0, insertAt), ...generatedPaths, ...basePaths.slice(insertAt)]);

  // The decisions API takes any resource of the model with a plural, stored or not.
  const decidable = doc.components.schemas?.DecisionResource as Json | undefined;
  if (decidable) decidable.enum = [...model.resources.keys(), ...(model.callerKept?.keys() ?? [])];

  // Components only the dropped doors used go with them (CustomerId, Booking, ...).
  pruneUnusedComponents(doc);
  if (generated.length === 0 && dropped.size === 0) return doc;

  const tags = (doc.tags ?? []).filter((t) => !dropped.has(String(t.name)));
  const tagAt = tags.findIndex((t) => t.name === 'audit');
  const newTags = generated.map((r) => ({ name: r.plural, description: `${r.name} records, from the policy's data model; each shaped per caller by the policy (see \`_access\`).` }));
  doc.tags = [...tags.slice(0, tagAt < 0 ? tags.length : tagAt), ...newTags, ...tags.slice(tagAt < 0 ? tags.length : tagAt)];

  const schemas = (doc.components.schemas ??= {});
  for (const r of generated) {
    for (const [name, schema] of Object.entries(resourceSchemas(r, model))) {
      // Customer, Booking or Document served by the generated door (under another plural,
      // or without the doors they nest under): their generated schemas replace the
      // hand-written ones of the same name, which the other paths keep referring to.
      const replaces = r.name in OWN_DOOR_TAGS && name.startsWith(r.name);
      if (name in schemas && !replaces) throw new Error(`The OpenAPI document already has a schema named ${name}; the resource ${r.name} needs that name.`);
      schemas[name] = schema;
    }
  }
  // A replaced hand-written schema may have been the last user of a component.
  pruneUnusedComponents(doc);
  const parent = generated.find((r) => generatedOperationCodes(r, model).delete!.includes('HAS_CHILDREN'));
  if (parent) (doc.components.responses ??= {}).HasChildren = hasChildrenResponse(parent, model);
  const operationIds = new Set<string>();
  for (const item of Object.values(doc.paths)) {
    for (const m of METHODS) {
      const id = (item[m] as Json | undefined)?.operationId;
      if (typeof id !== 'string') continue;
      if (operationIds.has(id)) throw new Error(`Two operations of the OpenAPI document are named ${id}.`);
      operationIds.add(id);
    }
  }
  return doc;
}

function withoutOperationsTagged(item: Json, tags: ReadonlySet<string>): Json {
  const dropped = (op: unknown) => ((op as { tags?: string[] }).tags ?? []).some((t) => tags.has(t));
  return Object.fromEntries(Object.entries(item).filter(([key, value]) => !(METHODS.includes(key) && dropped(value))));
}

/** Removes the components nothing reaches from the paths (transitively); security schemes stay. */
function pruneUnusedComponents(doc: OpenApiDocument): void {
  const components = doc.components ?? {};
  const reached = new Set<string>();
  const visit = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === '$ref' && typeof value === 'string' && value.startsWith('#/components/') && !reached.has(value)) {
          reached.add(value);
          const [, , section, name] = value.split('/');
          visit(components[section!]?.[name!]);
        } else visit(value);
      }
    }
  };
  const { components: _, ...rest } = doc;
  visit(rest);
  for (const [section, entries] of Object.entries(components)) {
    if (REFERENCED_SECTIONS.includes(section)) visit(Object.fromEntries(Object.entries(entries).filter(([name]) => reached.has(`#/components/${section}/${name}`))));
  }
  for (const section of REFERENCED_SECTIONS) {
    const entries = components[section];
    if (!entries) continue;
    for (const name of Object.keys(entries)) if (!reached.has(`#/components/${section}/${name}`)) delete entries[name];
  }
}

// --- Schemas ---------------------------------------------------------------------------

/** Names of the component schemas of a generated resource. */
export const schemaNames = (r: ResourceModel) => ({
  record: r.name,
  field: `${r.name}Field`,
  page: `${r.name}Page`,
  create: `Create${r.name}Input`,
  update: `Update${r.name}Input`,
});

/** The JSON type of a clear value of the field, as the service sends it. */
function clearValue(f: FieldModel, model: Model): Json {
  switch (f.type) {
    case 'id':
      return { type: 'string', description: 'The primary key.' };
    case 'ref': {
      const target = model.resources.get(f.ref ?? '');
      return { type: 'string', description: `The id of a ${f.ref}${target ? ` (\`/v1/${target.plural}/{id}\`)` : ''}.` };
    }
    case 'string':
    case 'text':
      return { type: 'string' };
    case 'integer':
      return { type: 'integer' };
    case 'decimal':
      return { type: 'string', pattern: DECIMAL_TEXT.source, description: 'A decimal number, as text so no precision is lost.' };
    case 'boolean':
      return { type: 'boolean' };
    case 'date':
      return { type: 'string', format: 'date' };
    case 'timestamp':
      return { type: 'string', format: 'date-time' };
    case 'enum':
      return { type: 'string', enum: [...(f.values ?? [])] };
    case 'string[]':
      return { type: 'array', items: { type: 'string' } };
    case 'file':
      return {
        type: 'object',
        description: 'What is known of the stored file; `null` until one is uploaded. Never masked: read in clear or withheld.',
        required: ['mediaType', 'sizeBytes', 'sha256'],
        properties: STORED_FILE_PROPERTIES,
        additionalProperties: false,
      };
    default:
      return {};
  }
}

const STORED_FILE_PROPERTIES = {
  mediaType: { type: 'string', description: 'The media type given when it was uploaded.' },
  sizeBytes: { type: 'integer', minimum: 0 },
  sha256: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'The SHA-256 of its bytes, hex.' },
};

/** `{ type: 'string' }` -> `{ type: ['string', 'null'] }` (and null among an enum's values). */
function orNull(schema: Json): Json {
  const out: Json = { ...schema, type: [schema.type, 'null'] };
  if (Array.isArray(schema.enum)) out.enum = [...(schema.enum as unknown[]), null];
  return out;
}

function describe(parts: Array<string | undefined | false>): Json {
  const text = parts.filter((p): p is string => typeof p === 'string' && p.length > 0).join(' ');
  return text ? { description: text } : {};
}

/** A field in a response: its clear type, or its masked form (a string) for callers who read it masked. */
function responseField(f: FieldModel, model: Model): Json {
  const { description: typeNote, ...clear } = clearValue(f, model);
  const value = f.nullable ? orNull(clear) : clear;
  const plainString = clear.type === 'string' && !('format' in clear) && !('enum' in clear) && !('pattern' in clear);
  const maskedForm = f.mask && !plainString && clear.type !== 'array';
  const schema: Json = maskedForm ? { anyOf: [value, { type: f.nullable ? ['string', 'null'] : 'string', description: `The masked form (\`${f.mask}\`).` }] } : value;
  const readOnly = f.type === 'id' || f.type === 'file' || f.generated !== undefined;
  return {
    ...schema,
    ...(readOnly ? { readOnly: true } : {}),
    ...describe([
      f.description,
      typeof typeNote === 'string' ? typeNote : undefined,
      f.generated === 'created' && 'Set by the service when the record is created.',
      f.generated === 'updated' && 'Set by the service when the record is created and on every update.',
      f.generated === 'creator' && 'Set by the service, once, to the subject (`sub`) of whoever created the record.',
      `Data class \`${f.class}\`.`,
      f.mask && `A caller who may read it only masked gets the \`${f.mask}\` form${maskedForm ? ' (a string)' : ''}, and the field is named in \`_access.masked\`.`,
    ]),
  };
}

/** A field in a create or update body, with the limits record-input.ts checks. */
function inputField(f: FieldModel, model: Model, mode: 'create' | 'update'): Json {
  let schema: Json;
  switch (f.type) {
    case 'string':
      schema =
        f.format === 'email'
          ? { type: 'string', format: 'email', maxLength: MAX_EMAIL }
          : f.format === 'phone'
            ? { type: 'string', pattern: PHONE_TEXT.source, description: 'Trimmed; a phone number.' }
            : f.format === 'iban'
              ? { type: 'string', pattern: IBAN_TEXT.source, description: 'Trimmed; an IBAN in upper-case letters.' }
              : { type: 'string', ...(f.required ? { minLength: 1 } : {}), maxLength: f.maxLength ?? MAX_STRING, description: f.required ? 'Trimmed; must not be blank.' : 'Trimmed.' };
      break;
    case 'text':
      schema = { type: 'string', maxLength: f.maxLength ?? MAX_TEXT };
      break;
    case 'integer':
      schema = { type: 'integer', minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER };
      break;
    case 'decimal':
      schema = { type: ['number', 'string'], pattern: DECIMAL_TEXT.source, description: 'A number, or a decimal number as text (kept exactly).' };
      break;
    case 'ref': {
      const target = model.resources.get(f.ref ?? '');
      schema = { type: 'string', pattern: ID_TEXT.source, description: `The id of a ${f.ref} the caller can see${target ? ` (\`/v1/${target.plural}/{id}\`)` : ''}; 404 otherwise.` };
      break;
    }
    case 'string[]':
      schema = { type: 'array', maxItems: MAX_LIST, items: { type: 'string', minLength: 1, maxLength: MAX_LIST_ITEM } };
      break;
    default: {
      const { description: _, ...clear } = clearValue(f, model);
      schema = clear;
    }
  }
  if (f.nullable) schema = Array.isArray(schema.type) ? { ...schema, type: [...(schema.type as string[]), 'null'] } : orNull(schema);
  const fallback = f.default !== undefined ? f.default : f.type === 'string[]' ? [] : undefined;
  const note = typeof schema.description === 'string' ? schema.description : undefined;
  return {
    ...schema,
    ...(mode === 'create' && fallback !== undefined ? { default: fallback } : {}),
    ...describe([f.description, note, f.nullable && (mode === 'create' ? 'May be `null`.' : '`null` clears it.'), f.mask && `Sending back its masked form (\`${f.mask}\`) answers \`MASKED_VALUE\`.`]),
  };
}

function resourceSchemas(r: ResourceModel, model: Model): Record<string, Json> {
  const names = schemaNames(r);
  const stored = r.fields;
  const writable = r.fields.filter(isWritable);
  const required = writable.filter((f) => f.required).map((f) => f.name);
  const fieldRef = ref('schemas', names.field);
  return {
    [names.field]: {
      type: 'string',
      description: `A ${r.name} field name, as declared in the policy.`,
      enum: r.fields.map((f) => f.name),
    },
    [names.record]: {
      type: 'object',
      description: [
        `A ${r.name} as the caller may see it, generated from the policy's data model${r.adopt ? ` (an adopted table, \`${r.table.schema}.${r.table.name}\`)` : ''}.`,
        'Every data property is optional because a withheld field is omitted (and named in `_access.withheld`);',
        'a masked field holds its masked form and is named in `_access.masked`. `_access` is always present.',
        r.parent ? `A ${r.name} exists for a caller only where its ${r.parent.resource} (\`${r.parent.field}\`) does.` : '',
      ]
        .filter(Boolean)
        .join(' '),
      properties: {
        ...Object.fromEntries(stored.map((f) => [f.name, responseField(f, model)])),
        _access: {
          type: 'object',
          description: 'Which fields of this record were masked and which were withheld for this caller; every other field is clear.',
          required: ['masked', 'withheld'],
          properties: {
            masked: { type: 'array', items: fieldRef },
            withheld: { type: 'array', items: fieldRef },
            revealed: { type: 'array', items: fieldRef, description: 'Present only when an approved access request (a grant) shows these fields in clear, where the rules alone would not.' },
          },
          additionalProperties: false,
        },
      },
      required: ['_access'],
      additionalProperties: false,
    },
    [names.page]: {
      type: 'object',
      required: ['items', 'nextCursor'],
      properties: {
        items: { type: 'array', items: ref('schemas', names.record) },
        nextCursor: { type: ['string', 'null'], description: 'Pass as `cursor` for the next page; `null` on the last page.' },
      },
      additionalProperties: false,
    },
    [names.create]: {
      type: 'object',
      description: `A new ${r.name}. Only these properties are accepted (others, including ${list(r.fields.filter((f) => !isWritable(f)).map((f) => f.name).concat('_access'))}, give \`UNKNOWN_FIELD\`); a property left out gets its default.`,
      ...(required.length > 0 ? { required } : {}),
      properties: Object.fromEntries(writable.map((f) => [f.name, inputField(f, model, 'create')])),
      additionalProperties: false,
    },
    [names.update]: {
      type: 'object',
      description: `The ${r.name} properties to change, all optional, at least one (an empty object answers 400 \`VALIDATION_FAILED\`). Same rules as \`${names.create}\`; \`null\` clears a nullable property.`,
      minProperties: 1,
      properties: Object.fromEntries(writable.map((f) => [f.name, inputField(f, model, 'update')])),
      additionalProperties: false,
    },
  };
}

function hasChildrenResponse(parent: ResourceModel, model: Model): Json {
  const child = [...model.resources.values()].find((c) => c.parent?.resource === parent.name)!;
  return {
    description: 'The record still has child records (records whose parent it is); nothing was deleted. Delete them first: each is deleted, and audited, on its own. `resources` names the child resources.',
    headers: requestIdHeader(),
    content: {
      'application/problem+json': {
        schema: { allOf: [ref('schemas', 'Problem'), { required: ['resources'], properties: { code: { const: 'HAS_CHILDREN' } } }] },
        examples: {
          hasChildren: {
            value: {
              type: 'https://fieldguard.dev/problems/has-children',
              title: 'Record has child records',
              status: 409,
              detail: `This ${parent.name} still has ${child.plural}; delete them first.`,
              code: 'HAS_CHILDREN',
              requestId: '3f1c0d2e-8b7a-4e43-9a5c-0c1d2e3f4a5b',
              resources: [child.name],
            },
          },
        },
      },
    },
  };
}

// --- Paths -----------------------------------------------------------------------------

function resourcePaths(r: ResourceModel, model: Model, cursorDescription: string | undefined): Record<string, Json> {
  const names = schemaNames(r);
  const base = `/v1/${r.plural}`;
  const tags = [r.plural];
  const codes = generatedOperationCodes(r, model);
  const json = (schema: string) => ({ 'application/json': { schema: ref('schemas', schema) } });
  const children = [...model.resources.values()].filter((c) => c.parent?.resource === r.name).map((c) => c.plural);
  const refTargets = [...new Set(r.fields.filter((f) => f.type === 'ref').map((f) => f.ref!))];
  const notFound = response('NotFound', `No such ${r.name}, or none the caller may see (indistinguishable by design). Audited as a denied access.`);
  const budget = response(
    'BudgetExceeded',
    "The caller's read budget is used up (the policy's `readBudget` with `onExceed: block`): no data is sent; retry after `Retry-After` seconds. The refusal is audited.",
  );
  const maxId = idParams.properties.id.maxLength;
  const badId = response('BadPathParameter', `The id is longer than ${maxId} characters.`);
  const tail = { '500': response('InternalError'), '503': response('ServiceUnavailable') };
  const sortable = sortableFields(r).map((f) => f.name);
  const filterable = filterableFields(r).map((f) => f.name);
  const masked = r.fields.filter((f) => f.mask).map((f) => f.name);
  const maskedNote = masked.length > 0 ? ` Fields that can be masked: ${list(masked)}; a masked value is named in \`_access.masked\`.` : '';

  return {
    [base]: {
      get: {
        operationId: `list${pascal(r.plural)}`,
        tags,
        summary: `List the ${r.plural} the caller may see`,
        description: [
          `One page of the ${r.name} records visible to the caller, in stable keyset order (by \`${r.id.name}\` unless \`sort\` says otherwise), each shaped by the caller's field rules (see \`_access\` on every item).${maskedNote}`,
          `Records the caller may not see are left out${r.parent ? ` (a ${r.name} exists for a caller only where its ${r.parent.resource} does)` : ''}. Needs the \`read\` action on ${r.name}. The page is audited as one \`list\` event naming every returned id and the union of the field decisions.`,
          '',
          'Filtering and sorting work only on fields the caller reads in clear (400 `FIELD_NOT_QUERYABLE` naming the field otherwise): searching a masked column would reveal it. Where a field is clear only on some records, a filter matches only those records, and sorting on it is refused.',
        ].join('\n'),
        security: security(),
        parameters: [
          ref('parameters', 'Limit'),
          {
            name: 'cursor',
            in: 'query',
            required: false,
            description: cursorDescription ?? "Opaque cursor from a previous page's `nextCursor`; omit for the first page.",
            schema: { type: 'string', maxLength: pageQuery.properties.cursor.maxLength },
          },
          {
            name: 'sort',
            in: 'query',
            required: false,
            description: `One of ${list(sortable)} (default \`${r.id.name}\`); prefix \`-\` for descending. A cursor is valid only for the sort it was issued for.`,
            schema: { type: 'string', pattern: pageQuery.properties.sort.pattern },
          },
          {
            name: 'filter',
            in: 'query',
            required: false,
            style: 'deepObject',
            explode: true,
            description: `Exact-match filters, \`filter[${filterable[0] ?? r.id.name}]=...\`, on ${list(filterable)} (a \`string[]\` field: contains; booleans \`true\`/\`false\`; dates \`YYYY-MM-DD\`). All given must hold. Another field is a 400 naming the parameter.`,
            schema: {
              type: 'object',
              propertyNames: { enum: filterable },
              additionalProperties: { type: 'string', maxLength: Object.values(pageQuery.patternProperties)[0]!.maxLength },
            },
            // Empty: without it, Swagger UI sends `filter[additionalProp1]=string` on "Try it out".
            example: {},
          },
          ...commonHeaders(),
        ],
        responses: {
          '200': { description: `A page of ${r.plural}.`, headers: requestIdHeader(), content: json(names.page) },
          '400': response('BadPageRequest'),
          '401': response('Unauthorized'),
          '403': response('Forbidden'),
          '429': budget,
          ...tail,
        },
      },
      post: {
        operationId: `create${r.name}`,
        tags,
        summary: `Create a ${r.name}`,
        description: [
          'The body is checked in this order: it must be a JSON object (`VALIDATION_FAILED`); the caller needs the `create` action (`FORBIDDEN`, with the policy\'s reason);',
          'no unknown or read-only properties (`UNKNOWN_FIELD`, naming them in `fields`); no masked value sent back (`MASKED_VALUE`); every value in its format (`VALIDATION_FAILED`);',
          `every property sent (and every default) must be one the caller may write (\`FIELD_NOT_WRITABLE\`).${refTargets.length > 0 ? ` A ${refTargets.join(' or ')} it names must be one the caller can see (404 otherwise).` : ''}`,
          'The record and its `create` audit event commit together. The response is the new record as the caller may now see it.',
        ].join(' '),
        security: security(),
        parameters: commonHeaders(),
        requestBody: { required: true, content: json(names.create) },
        responses: {
          '201': {
            description: 'Created; the record as the caller may see it.',
            headers: { ...requestIdHeader(), Location: { description: `\`${base}/{id}\` of the new record.`, schema: { type: 'string' } } },
            content: json(names.record),
          },
          '400': response('BadBody'),
          '401': response('Unauthorized'),
          '403': response('WriteForbidden'),
          ...(codes.create!.includes('NOT_FOUND') ? { '404': response('NotFound', `A ${refTargets.join(' or ')} named in the body does not exist or the caller may not see it.`) } : {}),
          '413': response('PayloadTooLarge'),
          '415': response('UnsupportedMediaType'),
          ...tail,
        },
      },
    },
    [`${base}/export`]: {
      get: {
        operationId: `export${pascal(r.plural)}`,
        tags,
        summary: `Export every ${r.name} the caller may see`,
        description: [
          `Bulk export is its own right (the \`export\` action on ${r.name}), separate from reading (403 with the policy's reason otherwise). The export holds every ${r.name} the caller may see and export, in id order, each rendered with the caller's field rules exactly as a read would show it.`,
          '',
          'One `export` audit event, naming the first 1,000 record ids (all of them for a smaller export), is committed before the first byte leaves, and each further 1,000 get an `export.records` event committed before their rows are sent; the body is streamed, and `export.completed` (with the SHA-256 of the bytes sent) or `export.aborted` closes the ledger.',
          '',
          `- \`csv\`: a header row, then one row per record; the columns are the fields the caller may see clear or masked on at least some record. A withheld or \`null\` cell is empty, arrays are joined with \`;\`, and a cell that a spreadsheet would run as a formula is prefixed with \`'\`. No \`_access\` column.`,
          `- \`ndjson\`: one JSON \`${names.record}\` object per line (with \`_access\`), exactly as \`GET ${base}/{id}\` would return it.`,
        ].join('\n'),
        security: security(),
        parameters: [
          {
            name: 'format',
            in: 'query',
            required: false,
            description: 'Output format.',
            schema: { type: 'string', enum: [...exportQuery.properties.format.enum], default: exportQuery.properties.format.default },
          },
          ...commonHeaders(),
        ],
        responses: {
          '200': {
            description: 'The export, streamed.',
            headers: {
              ...requestIdHeader(),
              'Content-Disposition': {
                description: `Always an attachment named \`${r.plural}-<UTC date>.<format>\`.`,
                required: true,
                schema: { type: 'string' },
              },
              'Cache-Control': { description: 'Exports are never cached.', required: true, schema: { const: 'no-store' } },
            },
            content: {
              'text/csv': { schema: { type: 'string', description: 'RFC 4180 CSV, UTF-8 (`text/csv; charset=utf-8`), with a header row.' } },
              'application/x-ndjson': { schema: { type: 'string', description: `Newline-delimited JSON; each line is one \`${names.record}\` object.` } },
            },
          },
          '400': response('BadQuery'),
          '401': response('Unauthorized'),
          '403': response('Forbidden'),
          '429': budget,
          ...tail,
        },
      },
    },
    [`${base}/{id}`]: {
      parameters: [
        {
          name: 'id',
          in: 'path',
          required: true,
          description: `The ${r.name}'s id. Any other value of at most ${maxId} characters answers 404 like an unknown or invisible record; a longer one is a 400.`,
          schema: { type: 'string', maxLength: maxId },
        },
      ],
      get: {
        operationId: `get${r.name}`,
        tags,
        summary: `Read one ${r.name}`,
        description: `The ${r.name}, shaped by the caller's field rules.${maskedNote} 404 whether the record does not exist or the caller may not see it; both are audited (the latter as a denied \`read\`).`,
        security: security(),
        parameters: commonHeaders(),
        responses: {
          '200': { description: `The ${r.name} as the caller may see it.`, headers: requestIdHeader(), content: json(names.record) },
          '400': badId,
          '401': response('Unauthorized'),
          '404': notFound,
          '429': budget,
          ...tail,
        },
      },
      patch: {
        operationId: `update${r.name}`,
        tags,
        summary: `Update a ${r.name}`,
        description: [
          'Sets the properties sent and leaves the others as they are; `null` clears a nullable property. The caller needs the `update` action (`FORBIDDEN`); the body is checked as for create',
          '(`VALIDATION_FAILED`, `UNKNOWN_FIELD`, `MASKED_VALUE`); then the record must be visible to the caller (404 otherwise), the caller needs `update` on this record, before and after the change (`FORBIDDEN`),',
          'and must be allowed to write every property sent on this record (`FIELD_NOT_WRITABLE`). The change and its `update` audit event commit together.',
          'A client that sends back a record it read gets `UNKNOWN_FIELD` for read-only properties and `_access`, and `MASKED_VALUE` for any masked value: send only the properties that changed.',
        ].join(' '),
        security: security(),
        parameters: commonHeaders(),
        requestBody: { required: true, content: json(names.update) },
        responses: {
          '200': { description: 'Updated; the record as the caller may now see it.', headers: requestIdHeader(), content: json(names.record) },
          '400': response('BadBody'),
          '401': response('Unauthorized'),
          '403': response('WriteForbidden'),
          '404': notFound,
          '413': response('PayloadTooLarge'),
          '415': response('UnsupportedMediaType'),
          '429': budget,
          ...tail,
        },
      },
      delete: {
        operationId: `delete${r.name}`,
        tags,
        summary: `Delete a ${r.name}`,
        description: `Deletes the record. It must be visible to the caller (404 otherwise) and the caller needs the \`delete\` action on it (403 with the policy's reason).${children.length > 0 ? ` A record that still has ${children.join(' or ')} is not deleted (409 \`HAS_CHILDREN\`): delete those first, each audited on its own.` : ''} The deletion commits together with its \`delete\` audit event.`,
        security: security(),
        parameters: commonHeaders(),
        responses: {
          '204': { description: 'Deleted. No body.', headers: requestIdHeader() },
          '400': badId,
          '401': response('Unauthorized'),
          '403': response('Forbidden'),
          '404': notFound,
          ...(codes.delete!.includes('HAS_CHILDREN') ? { '409': response('HasChildren') } : {}),
          ...tail,
        },
      },
    },
    ...(r.file ? filePaths(r, base, tags, notFound, budget, badId, tail) : {}),
  };
}

/** GET and PUT of the record's file: `/v1/<plural>/{id}/<field>`. */
function filePaths(r: ResourceModel, base: string, tags: string[], notFound: Json, budget: Json, badId: Json, tail: Json): Record<string, Json> {
  const field = r.file!.field.name;
  const problem = (description: string, codes: string[]) => ({
    description,
    headers: requestIdHeader(),
    content: { 'application/problem+json': { schema: { allOf: [ref('schemas', 'Problem'), { properties: { code: { enum: codes } } }] } } },
  });
  return {
    [`${base}/{id}/${field}`]: {
      parameters: [{ name: 'id', in: 'path', required: true, description: `The ${r.name}'s id.`, schema: { type: 'string', maxLength: idParams.properties.id.maxLength } }],
      get: {
        operationId: `download${r.name}${pascal(field)}`,
        tags,
        summary: `Open a ${r.name}'s ${field}`,
        description: [
          `Streams the bytes stored as the ${r.name}'s \`${field}\`, with the media type given at upload and their sha256 as \`ETag\`, always as an attachment.`,
          `Opening is reading \`${field}\` in clear: a caller who sees the record but reads the field masked or not at all gets 403 with the policy's reason.`,
          `The read counts against the caller's read budget for ${r.plural}; the \`download\` audit event (media type, size, sha256; never the bytes) commits before the first byte leaves. 404 for a record the caller may not see, and for one with no ${field} yet.`,
        ].join(' '),
        security: security(),
        parameters: commonHeaders(),
        responses: {
          '200': {
            description: 'The bytes.',
            headers: { ...requestIdHeader(), ETag: { description: 'The sha256 of the bytes, quoted.', schema: { type: 'string' } } },
            content: { '*/*': { schema: { type: 'string', format: 'binary' } } },
          },
          '400': badId,
          '401': response('Unauthorized'),
          '403': response('Forbidden'),
          '404': notFound,
          '429': budget,
          ...tail,
        },
      },
      put: {
        operationId: `upload${r.name}${pascal(field)}`,
        tags,
        summary: `Store a ${r.name}'s ${field}`,
        description: [
          `The body is the file's raw bytes and \`Content-Type\` its media type; they replace any file the ${r.name} held. Uploading is updating \`${field}\`: the record must be visible to the caller (404),`,
          `who needs \`update\` on it (\`FORBIDDEN\`) and on the field (\`FIELD_NOT_WRITABLE\`), decided before the body is read. Past \`DOCUMENT_MAX_BYTES\` (default 10 MiB) the answer is 413 and nothing is stored.`,
          'The bytes, what is known of them and the `upload` audit event (media type, size, sha256) commit together.',
        ].join(' '),
        security: security(),
        parameters: commonHeaders(),
        requestBody: { required: true, content: { '*/*': { schema: { type: 'string', format: 'binary' } } } },
        responses: {
          '200': {
            description: 'Stored; what is now known of the file.',
            headers: requestIdHeader(),
            content: { 'application/json': { schema: { type: 'object', required: ['mediaType', 'sizeBytes', 'sha256'], properties: STORED_FILE_PROPERTIES, additionalProperties: false } } },
          },
          '400': problem('`Content-Type` is missing or not a media type, or the id is too long.', ['VALIDATION_FAILED']),
          '401': response('Unauthorized'),
          '403': response('WriteForbidden'),
          '404': notFound,
          '413': problem('The file is larger than `DOCUMENT_MAX_BYTES` (`maxBytes` says how large it may be); nothing was stored.', ['PAYLOAD_TOO_LARGE']),
          ...tail,
        },
      },
    },
  };
}
