import { resourcesWithOwnDoors } from '../model/own-doors.js';
import type { RequestContext } from './request-context.js';

/** A stored resource as `GET /v1/model` describes it: where it lives and its fields' names and types. */
export interface ModelResourceView {
  name: string;
  plural: string;
  /** The id field, to open one record at `/v1/<plural>/<id>`. */
  idField: string;
  /** False where the resource is listed only under its parent (documents under their customer). */
  listable: boolean;
  parent: string | null;
  fields: Array<{ name: string; type: string; class: string; ref: string | null }>;
}

export interface ModelView {
  resources: ModelResourceView[];
  /** The caller, as the service sees them, and what the console may offer them. */
  you: { sub: string; roles: string[]; may: ConsoleRights };
}

/** Which console screens and actions the caller's roles open (the API decides each call anyway). */
export interface ConsoleRights {
  listPeople: boolean;
  managePeople: boolean;
  readActivity: boolean;
  /** `read` on Policy: the policy in force and its matrix. */
  readPolicy: boolean;
  /** `preview` on Policy: a record as someone else sees it. */
  previewPolicy: boolean;
  /** `reload` on Policy: replaying a candidate. */
  replayPolicy: boolean;
  /** `read` on Subject: subject access reports. */
  readSubjects: boolean;
  /** `erase` on Subject. */
  eraseSubjects: boolean;
  /** `hold` on Subject: legal holds. */
  holdSubjects: boolean;
  /** `read` on Inventory: the record of processing and the retention dry run. */
  readInventory: boolean;
  /** `read` on Incident: breach scope. */
  readIncidents: boolean;
  /** Access review and its attestations (`read` on AuditEvent). */
  accessReview: boolean;
}

/**
 * The data model as the caller may use it: the stored resources their roles may read at
 * all (names, plurals and field types, as /openapi.json spells them, values never), and
 * which admin screens their roles open. A description of the contract, not of data: it
 * reads nothing from the database and is not an audit event, as /openapi.json is not.
 */
export function describeModel(ctx: RequestContext): ModelView {
  const { model } = ctx.policy;
  const own = resourcesWithOwnDoors(model);
  const resources = [...model.resources.values()]
    .filter((r) => ctx.ability.can('read', r.name))
    .map((r) => ({
      name: r.name,
      plural: r.plural,
      idField: r.id.name,
      // The hand-written document door has no list of its own: a customer's documents are.
      listable: !(own.has(r.name) && r.name === 'Document'),
      parent: r.parent?.resource ?? null,
      fields: r.fields.map((f) => ({ name: f.name, type: f.type, class: f.class, ref: f.ref ?? null })),
    }));
  const can = (action: 'read' | 'update' | 'preview' | 'reload' | 'erase' | 'hold', type: string) => ctx.ability.can(action, type);
  return {
    resources,
    you: {
      sub: ctx.principal.sub,
      roles: [...ctx.principal.roles],
      may: {
        listPeople: can('read', 'Principal'),
        managePeople: can('update', 'Principal'),
        readActivity: can('read', 'AuditEvent'),
        readPolicy: can('read', 'Policy'),
        previewPolicy: can('preview', 'Policy'),
        replayPolicy: can('reload', 'Policy'),
        readSubjects: can('read', 'Subject'),
        eraseSubjects: can('erase', 'Subject'),
        holdSubjects: can('hold', 'Subject'),
        readInventory: can('read', 'Inventory'),
        readIncidents: can('read', 'Incident'),
        accessReview: can('read', 'AuditEvent'),
      },
    },
  };
}
