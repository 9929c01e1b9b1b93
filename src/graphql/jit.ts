import type { DocumentNode } from 'graphql';
import type { MercuriusContext, preExecutionHookHandler } from 'mercurius';

/**
 * Mercurius compiles a document with graphql-jit for the `operationName` of the request
 * that reaches the threshold, caches the result by the document's text alone, and from
 * then on runs it whatever operation a request names: in `query A {...} mutation B {...}`
 * the first caller's choice would run for everyone, and a GET naming the query A would
 * run the mutation B (docs/upstream/mercurius-jit-operation-name.md).
 *
 * This hook keeps the compiled path to what it is right for: a document holding exactly
 * one operation, asked for without a name or by that name. Any other request hands
 * mercurius the same document as "modified", which makes it run graphql-js's `execute`
 * with the request's own operationName and never compile it. So multi-operation
 * documents keep working (GraphiQL sends the whole editor and names one), as does the
 * "Unknown operation named" error, with or without JIT.
 */
export const interpretUnlessOneOperation: preExecutionHookHandler = (_schema, document, context) => {
  if (isTheOnlyOperation(document, operationNameOf(context))) return;
  return { document };
};

/** Whether `document` holds one operation and `operationName` (when given) names it. */
export function isTheOnlyOperation(document: DocumentNode, operationName: unknown): boolean {
  let only: { name?: { value: string } } | undefined;
  for (const definition of document.definitions) {
    if (definition.kind !== 'OperationDefinition') continue;
    if (only) return false;
    only = definition;
  }
  if (!only) return false;
  return operationName === undefined || operationName === null || operationName === only.name?.value;
}

/** The request's `operationName`, from the JSON body (POST) or the query string (GET). */
function operationNameOf(context: MercuriusContext): unknown {
  const request = context.reply?.request;
  if (!request) return undefined;
  const input = (request.method === 'GET' ? request.query : request.body) as { operationName?: unknown } | null;
  return input?.operationName;
}
