import { readFileSync } from 'node:fs';
import {
  buildSchema,
  Kind,
  parse,
  print,
  type DefinitionNode,
  type DocumentNode,
  type FieldDefinitionNode,
  type StringValueNode,
} from 'graphql';
import type { Model } from '../model/model.js';
import { resourcesWithOwnDoors } from '../model/own-doors.js';
import { projectFile } from '../paths.js';
import { generatedDoors, generatedSdl } from './generated-schema.js';

/**
 * The hand-written part of the schema: the common types every door uses (FieldAccess,
 * FieldFilter, PageInfo) and the doors of customers, bookings and documents. It is also
 * exactly the schema the default policy serves (its model keeps all three doors and has
 * nothing to generate), which the contract test holds it to.
 */
export const loadSchemaSdl = () => readFileSync(projectFile('schema.graphql'), 'utf8');

type OwnDoor = 'Customer' | 'Booking' | 'Document' | 'AccessRequest';

/**
 * What of schema.graphql belongs to each hand-written door: its types, and its fields on
 * the roots and on Customer. Everything else there is common. A door the model does not
 * keep is cut out, so a model without customers (the clinic) serves no customer field or
 * type. schema-sdl.test.ts checks that cutting every door leaves a valid schema naming none.
 */
export const BUILT_IN_PARTS: Readonly<Record<OwnDoor, { types: readonly string[]; fields: Readonly<Record<string, readonly string[]>> }>> = {
  Customer: {
    types: ['Customer', 'CustomerConnection', 'CreateCustomerInput', 'UpdateCustomerInput'],
    fields: { Query: ['customer', 'customers'], Mutation: ['createCustomer', 'updateCustomer', 'deleteCustomer'] },
  },
  Booking: {
    types: ['Booking', 'BookingConnection', 'CreateBookingInput', 'UpdateBookingInput'],
    fields: { Query: ['booking', 'bookings'], Mutation: ['createBooking', 'updateBooking', 'deleteBooking'], Customer: ['bookings'] },
  },
  Document: {
    types: ['Document', 'DocumentConnection'],
    fields: { Query: ['document'], Mutation: ['deleteDocument'], Customer: ['documentPage', 'documents'] },
  },
  // Asking to see more: served wherever the model stores any resource to ask about.
  AccessRequest: {
    types: ['AccessRequest', 'AccessRequestInput'],
    fields: { Query: ['accessRequests'], Mutation: ['requestAccess', 'approveAccessRequest', 'denyAccessRequest', 'revokeAccessRequest'] },
  },
};

/** The parts of schema.graphql `model` serves: the doors it keeps, and access requests when it stores anything. */
export function servedParts(model: Model): ReadonlySet<string> {
  const own = resourcesWithOwnDoors(model);
  return new Set([...own, ...(model.resources.size > 0 ? ['AccessRequest'] : [])]);
}

/** The API's description when the customer door (which schema.graphql's describes) is not served. */
const GENERIC_DESCRIPTION = [
  'fieldguard GraphQL API. Every field of a record is nullable: a field the caller\'s role',
  'may not read is null and named in `access.withheld`; a masked one is named in `access.masked`.',
  'Reads count against the caller\'s read budget: beyond it (`block`), the field is null with',
  'a BUDGET_EXCEEDED error carrying `extensions.retryAfter` (seconds).',
].join('\n');

/** schema.graphql without the doors the model does not keep. */
function builtInPart(own: ReadonlySet<string>): DefinitionNode[] {
  const cut = (Object.keys(BUILT_IN_PARTS) as OwnDoor[]).filter((door) => !own.has(door)).map((door) => BUILT_IN_PARTS[door]);
  const types = new Set(cut.flatMap((part) => part.types));
  const fieldsOf = (type: string) => new Set(cut.flatMap((part) => part.fields[type] ?? []));
  return parse(loadSchemaSdl()).definitions.flatMap((d): DefinitionNode[] => {
    if (d.kind !== Kind.OBJECT_TYPE_DEFINITION && d.kind !== Kind.INPUT_OBJECT_TYPE_DEFINITION) return [d];
    if (types.has(d.name.value)) return [];
    if (d.kind !== Kind.OBJECT_TYPE_DEFINITION) return [d];
    const gone = fieldsOf(d.name.value);
    const description: StringValueNode | undefined =
      d.name.value === 'Query' && !own.has('Customer') ? { kind: Kind.STRING, value: GENERIC_DESCRIPTION, block: true } : d.description;
    return [{ ...d, description, fields: (d.fields ?? []).filter((f) => !gone.has(f.name.value)) }];
  });
}

const rootFields = (sdl: string): FieldDefinitionNode[] =>
  sdl === '' ? [] : parse(sdl).definitions.flatMap((d) => (d.kind === Kind.OBJECT_TYPE_DEFINITION ? (d.fields ?? []) : []));

/**
 * The SDL served for `model`: the common part of schema.graphql, the hand-written doors
 * the model keeps, and the doors generated for every other stored resource (their root
 * fields after the hand-written ones). Null when it would have no query at all (a model
 * without stored resources): then there is no GraphQL endpoint. Throws at start-up when
 * the generated names collide (a resource named PageInfo, or one named
 * PatientConnection beside Patient), naming what collides.
 */
export function servedSchemaSdl(model: Model): string | null {
  const own = servedParts(model);
  const doors = generatedDoors(model);
  const allOwn = (Object.keys(BUILT_IN_PARTS) as OwnDoor[]).every((door) => own.has(door));
  if (allOwn && doors.length === 0) return loadSchemaSdl();
  const generated = generatedSdl(doors);
  const extra: Record<string, FieldDefinitionNode[]> = { Query: rootFields(generated.query), Mutation: rootFields(generated.mutation) };
  const definitions = builtInPart(own)
    .map((d) => (d.kind === Kind.OBJECT_TYPE_DEFINITION && extra[d.name.value] ? { ...d, fields: [...(d.fields ?? []), ...extra[d.name.value]!] } : d))
    .filter((d) => d.kind !== Kind.OBJECT_TYPE_DEFINITION || (d.fields ?? []).length > 0);
  if (!definitions.some((d) => d.kind === Kind.OBJECT_TYPE_DEFINITION && d.name.value === 'Query')) return null;
  const document: DocumentNode = {
    kind: Kind.DOCUMENT,
    definitions: [...definitions, ...(generated.types === '' ? [] : parse(generated.types).definitions)],
  };
  const sdl = print(document);
  try {
    buildSchema(sdl);
  } catch (err) {
    throw new Error(`The GraphQL schema generated from the policy's model is not valid: ${(err as Error).message}`, { cause: err });
  }
  return sdl;
}
