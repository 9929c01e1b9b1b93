import { AppError } from '../errors.js';
import { GraphQLError, type ASTNode, type ValidationContext, type ValidationRule } from 'graphql';
import { costRule } from './cost.js';
import { depthRule } from './depth.js';

/**
 * What one GraphQL request may ask for. Each limit is checked while the query is
 * parsed or validated, so a refused query never reaches a resolver or the database.
 */
export const GRAPHQL_LIMITS = {
  /** Characters of query text (comments and strings do not count as parser tokens). */
  maxQueryLength: 10_000,
  /** Parser tokens: a cheap bound on the work of parsing and validating. */
  maxTokens: 1_000,
  /** Nesting depth, counted through named and inline fragments (depth.ts). */
  maxDepth: 8,
  /**
   * Nesting depth below `__schema` / `__type`, where only the schema's description can be
   * reached: the standard introspection query needs 15 (its `ofType` chain).
   */
  maxIntrospectionDepth: 20,
  /** Aliased fields in the whole document: aliases multiply work without adding meaning. */
  maxAliases: 15,
  /** Directives in the whole document (`@include`, `@skip`, ...). */
  maxDirectives: 10,
  /** Times one response key may be selected in one selection set. */
  maxFieldRepeats: 3,
  /** Estimated fields resolved: each field 1, a paged field's children times its `first`. */
  maxCost: 5_000,
} as const;

const refuse = (context: ValidationContext, message: string, node: ASTNode) =>
  context.reportError(new GraphQLError(message, { nodes: node }));

/** Counts nodes of one kind over the whole document and refuses past `limit`, once. */
function countRule(kind: 'Field' | 'Directive', limit: number, counts: (node: never) => boolean, what: string): ValidationRule {
  return (context) => {
    let seen = 0;
    return {
      [kind]: (node: ASTNode) => {
        if (!counts(node as never)) return;
        seen += 1;
        if (seen === limit + 1) refuse(context, `The query has more than ${limit} ${what}.`, node);
      },
    };
  };
}

export const aliasLimit = countRule('Field', GRAPHQL_LIMITS.maxAliases, (node: { alias?: unknown }) => node.alias !== undefined, 'aliases');
export const directiveLimit = countRule('Directive', GRAPHQL_LIMITS.maxDirectives, () => true, 'directives');

/** `{ id id id id ... }` is valid GraphQL that only burns server time: refused. */
export const fieldRepeatLimit: ValidationRule = (context) => ({
  SelectionSet(node) {
    const counts = new Map<string, number>();
    for (const selection of node.selections) {
      if (selection.kind !== 'Field') continue;
      const key = selection.alias?.value ?? selection.name.value;
      const count = (counts.get(key) ?? 0) + 1;
      counts.set(key, count);
      if (count === GRAPHQL_LIMITS.maxFieldRepeats + 1) {
        refuse(context, `The field "${key}" is selected more than ${GRAPHQL_LIMITS.maxFieldRepeats} times.`, selection);
      }
    }
  },
});

/**
 * Production refuses introspection. graphql's NoSchemaIntrospectionCustomRule relies on
 * instanceof, which fails across graphql's ESM and CommonJS builds; this needs only names.
 */
export const noIntrospection: ValidationRule = (context) => ({
  Field(node) {
    if (node.name.value === '__schema' || node.name.value === '__type') {
      refuse(context, 'Introspection is disabled.', node);
    }
  },
});

export const limitRules: ValidationRule[] = [
  depthRule(GRAPHQL_LIMITS.maxDepth, GRAPHQL_LIMITS.maxIntrospectionDepth),
  aliasLimit,
  directiveLimit,
  fieldRepeatLimit,
  costRule(GRAPHQL_LIMITS.maxCost),
];

/** A query that is not text is not a well-formed GraphQL-over-HTTP request: 400, whatever the media type. */
export function checkQueryIsText(source: unknown): void {
  if (source !== undefined && source !== null && typeof source !== 'string') throw new AppError('VALIDATION_FAILED', 'The query must be a string.');
}

/** Refuses an oversized query text before mercurius parses it. */
export function checkQueryLength(source: unknown): void {
  if (typeof source === 'string' && source.length > GRAPHQL_LIMITS.maxQueryLength) {
    throw new GraphQLError(`The query is longer than ${GRAPHQL_LIMITS.maxQueryLength} characters.`);
  }
}
