import {
  GraphQLError,
  type FieldNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationRule,
} from 'graphql';

/** The page sizes of the schema (`first`: default 20, at most 100). */
const DEFAULT_PAGE = 20;
const MAX_PAGE = 100;

/**
 * A static cost: every field selected counts 1, and the selections under a paged field
 * (one taking `first`) count once per row it may return. A `first` given by a variable
 * counts as the largest page, so the estimate holds for any variables and can be
 * cached with the query text. Fragments are expanded (each computed once: nesting them
 * cannot make the estimate itself expensive).
 */
export function costRule(maxCost: number): ValidationRule {
  return (context) => {
    // Duck-typed, not isObjectType(): mercurius loads graphql's CommonJS build and we
    // load its ESM build, so instanceof checks across the two would throw.
    const paged = new Set<string>();
    for (const type of Object.values(context.getSchema().getTypeMap()) as Array<{ name: string; getFields?: () => object }>) {
      if (!type.getFields || type.name.startsWith('__')) continue;
      for (const field of Object.values(type.getFields()) as Array<{ name: string; args?: Array<{ name: string }> }>) {
        if (field.args?.some((a) => a.name === 'first')) paged.add(field.name);
      }
    }
    const fragments = new Map<string, FragmentDefinitionNode>();
    const memo = new Map<string, number>();

    const rowsOf = (field: FieldNode): number => {
      if (!paged.has(field.name.value)) return 1;
      const first = field.arguments?.find((a) => a.name.value === 'first')?.value;
      if (!first) return DEFAULT_PAGE;
      if (first.kind === 'IntValue') return Math.max(1, Number.parseInt(first.value, 10));
      return MAX_PAGE;
    };

    const costOf = (set: SelectionSetNode, visiting: Set<string>): number => {
      let total = 0;
      for (const selection of set.selections) {
        if (selection.kind === 'Field') {
          total += 1 + (selection.selectionSet ? rowsOf(selection) * costOf(selection.selectionSet, visiting) : 0);
        } else if (selection.kind === 'InlineFragment') {
          total += costOf(selection.selectionSet, visiting);
        } else {
          const name = selection.name.value;
          const fragment = fragments.get(name);
          // Unknown and cyclic spreads are reported by graphql's own rules.
          if (!fragment || visiting.has(name)) continue;
          if (!memo.has(name)) memo.set(name, costOf(fragment.selectionSet, new Set([...visiting, name])));
          total += memo.get(name)!;
        }
      }
      return total;
    };

    return {
      Document(document) {
        for (const d of document.definitions) if (d.kind === 'FragmentDefinition') fragments.set(d.name.value, d);
        for (const d of document.definitions) {
          if (d.kind !== 'OperationDefinition') continue;
          const cost = costOf(d.selectionSet, new Set());
          if (cost > maxCost) {
            context.reportError(
              new GraphQLError(`The query is too expensive (estimated ${cost} fields, at most ${maxCost}).`, { nodes: d }),
            );
          }
        }
      },
    };
  };
}
