import type { PolicyPath } from '../policy/source-lines.js';
import type { ResourceModel } from './model.js';

type Report = (path: PolicyPath, message: string) => void;

/** Types the GraphQL API defines for itself, and GraphQL's own scalars. */
const RESERVED_TYPES = new Set(['Query', 'Mutation', 'Subscription', 'PageInfo', 'FieldAccess', 'ConsentWithheld', 'FieldFilter', 'StoredFile', 'AccessRequest', 'String', 'Int', 'Float', 'Boolean', 'ID']);

/**
 * Names the generated GraphQL API gives from the model, checked when the policy loads so
 * that a clash is a `file:line` problem like the others rather than a schema error at
 * start-up: each resource is a type with a `<Name>Connection` and `Create`/`Update<Name>Input`,
 * each record carries `access`, and each parent lists its children under their plural.
 */
export function checkGraphqlNames(stored: ReadonlyMap<string, ResourceModel>, report: Report): void {
  for (const r of stored.values()) {
    if (RESERVED_TYPES.has(r.name) || /(Connection|Input)$/.test(r.name)) {
      report(['resources', r.name], `"${r.name}" is a name the GraphQL API uses for its own types: choose another`);
    }
    if (r.fields.some((f) => f.name === 'access')) {
      report(['resources', r.name, 'fields', 'access'], '"access" is the GraphQL field naming the masked and withheld fields: choose another name');
    }
    const parent = r.parent ? stored.get(r.parent.resource) : undefined;
    if (parent?.fields.some((f) => f.name === r.plural)) {
      report(['resources', r.name, 'plural'], `"${r.plural}" is also a field of ${parent.name}, where GraphQL lists its ${r.plural}: choose another plural or field name`);
    }
  }
}
