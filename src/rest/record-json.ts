import { accessSummary, type RenderedRecord } from '../policy/field-access.js';

/**
 * The REST shape of a record of any resource: withheld fields omitted, and `_access` saying which
 * fields were masked or withheld, so a client never mistakes `XXX` for data.
 */
export const recordJson = (record: RenderedRecord) => ({
  ...record.values,
  _access: accessSummary(record.access),
});
