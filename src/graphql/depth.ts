import { GraphQLError, type FragmentDefinitionNode, type SelectionSetNode, type ValidationRule } from 'graphql';

/** The two entry points of introspection; both exist only on the query root. */
const INTROSPECTION_ROOTS = new Set(['__schema', '__type']);

interface Depths {
  /** Deepest path through the schema's own types (customers, bookings, ...). */
  data: number;
  /** Deepest path below a root `__schema` / `__type`, which can only reach `__*` types. */
  introspection: number;
}

/**
 * Nesting depth per operation, counted as mercurius's `queryDepth` counted it (a field
 * or an inline fragment is one level, a named fragment's spread adds none of its own),
 * with one difference: the standard introspection query (`getIntrospectionQuery()`,
 * depth 15 through its `ofType` chain) is measured against a limit of its own.
 *
 * Only a `__schema` or `__type` field at the query root starts an introspection subtree,
 * and under it only introspection types can be selected: no data is reachable there, so
 * a deep introspection branch cannot carry a deep data query past `maxDepth`; a data
 * branch of the same document is measured on its own. Aliases change nothing: the
 * field's name decides, not the key it is returned under. The fan-out of introspection
 * (`fields { type { fields ... } }`) is bounded by graphql's own
 * MaxIntrospectionDepthRule, one of the specified rules mercurius always runs.
 */
export function depthRule(maxDepth: number, maxIntrospectionDepth: number): ValidationRule {
  return (context) => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    const memo = new Map<string, Depths>();

    const measure = (set: SelectionSetNode, root: boolean, visiting: ReadonlySet<string>): Depths => {
      let data = 0;
      let introspection = 0;
      for (const selection of set.selections) {
        let inner: Depths = { data: 0, introspection: 0 };
        if (selection.kind === 'Field') {
          if (selection.selectionSet) inner = measure(selection.selectionSet, false, visiting);
          if (root && INTROSPECTION_ROOTS.has(selection.name.value)) {
            introspection = Math.max(introspection, 1 + inner.data);
            continue;
          }
          data = Math.max(data, 1 + inner.data);
        } else if (selection.kind === 'InlineFragment') {
          inner = measure(selection.selectionSet, root, visiting);
          data = Math.max(data, 1 + inner.data);
        } else {
          const name = selection.name.value;
          const fragment = fragments.get(name);
          // Unknown and cyclic spreads are reported by graphql's own rules.
          if (!fragment || visiting.has(name)) continue;
          const key = `${name}:${root}`;
          if (!memo.has(key)) memo.set(key, measure(fragment.selectionSet, root, new Set([...visiting, name])));
          inner = memo.get(key)!;
          data = Math.max(data, inner.data);
        }
        introspection = Math.max(introspection, inner.introspection);
      }
      return { data, introspection };
    };

    return {
      Document(document) {
        for (const d of document.definitions) if (d.kind === 'FragmentDefinition') fragments.set(d.name.value, d);
        for (const d of document.definitions) {
          if (d.kind !== 'OperationDefinition') continue;
          const { data, introspection } = measure(d.selectionSet, true, new Set());
          if (data > maxDepth) {
            context.reportError(new GraphQLError(`The query is nested too deeply (depth ${data}, at most ${maxDepth}).`, { nodes: d }));
          }
          if (introspection > maxIntrospectionDepth) {
            context.reportError(
              new GraphQLError(`The introspection query is nested too deeply (depth ${introspection}, at most ${maxIntrospectionDepth}).`, { nodes: d }),
            );
          }
        }
      },
    };
  };
}
