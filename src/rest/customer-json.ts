import { accessSummary, type RenderedRecord } from '../policy/field-access.js';

/**
 * The REST shape of a customer: withheld fields omitted, and `_access` saying which
 * fields were masked or withheld, so a client never mistakes `XXX` for data.
 */
export const customerJson = (record: RenderedRecord) => ({
  ...record.values,
  _access: accessSummary(record.access),
});
