/**
 * The shapes of fieldguard's REST API this client uses, written over openapi.yaml
 * (components RenderRequest, RenderResult, CheckRequest, CheckResult, FieldAccess and the
 * problem document). Records are typed by the caller: the model is the policy's.
 */

/** Which fields of a record were masked or withheld: a client never mistakes `XXX` for data. */
export interface FieldAccess {
  masked: string[];
  withheld: string[];
}

/** A record as fieldguard sends it: withheld fields omitted, masked ones masked, `_access` always. */
export type Rendered<T extends object = Record<string, unknown>> = Partial<{ [K in keyof T]: T[K] | string | null }> & { _access: FieldAccess };

export interface RenderResult<T extends object = Record<string, unknown>> {
  items: Array<Rendered<T>>;
  /** Records sent that do not exist for the user: left out. */
  dropped: number;
}

export type CheckAction = 'read' | 'create' | 'update' | 'delete' | 'export';

export interface ActionDecision {
  allowed: boolean;
  /** When refused: the policy's reason. */
  reason?: string;
  /** create and update, when allowed: the fields the user may write on the record. */
  fields?: string[];
}

export interface CheckResult {
  results: Array<{ id: string; actions: Partial<Record<CheckAction, ActionDecision>> }>;
}

export interface Page<T extends object = Record<string, unknown>> {
  items: Array<Rendered<T>>;
  nextCursor: string | null;
}

export interface PageQuery {
  limit?: number;
  cursor?: string;
  /** A field name, `-` in front for descending. */
  sort?: string;
  /** Exact matches on fields the user reads in clear: `{ email: 'a@example.com' }`. */
  filter?: Record<string, string>;
}

/** An RFC 9457 problem document, as every fieldguard error is. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  requestId?: string;
  errors?: Array<{ pointer?: string; in?: string; parameter?: string; detail: string }>;
  [extra: string]: unknown;
}
