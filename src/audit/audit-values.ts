import { createHash } from 'node:crypto';
import { canonicalId } from '../ids.js';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const SAFE_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Text exactly as PostgreSQL will store it: no NUL (which it refuses, failing the whole
 * batch) and no lone surrogate (which the driver turns into U+FFFD, so the stored row
 * would no longer match the hash computed before storing it).
 */
export const storableText = (value: string): string => value.replace(/\u0000/g, '').replace(LONE_SURROGATE, '\uFFFD');

/**
 * A resource id as the trail records it. Ids are whatever a caller typed into a URL or
 * a GraphQL variable; anything that is not a plain short token is recorded as a digest,
 * so a hostile id can neither break the chain nor bloat the row. A UUID is recorded in
 * lower case whatever case the caller used, so "who touched this customer" finds it.
 */
export const auditableId = (id: string): string =>
  SAFE_ID.test(id) ? canonicalId(id) : `invalid:${createHash('sha256').update(id).digest('hex').slice(0, 16)}`;
