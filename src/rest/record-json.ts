import { accessSummary, type AccessSummary, type RenderedRecord } from '../policy/field-access.js';

/**
 * The REST shape of a record of any resource: withheld fields omitted, and `_access` saying which
 * fields were masked or withheld, so a client never mistakes `XXX` for data.
 */
export const recordJson = (record: RenderedRecord) => ({
  ...record.values,
  _access: accessSummary(record.access),
});

/** What fastify sets for a JSON body it serialises itself: a text body sent with it goes out as it is. */
export const JSON_TYPE = 'application/json; charset=utf-8';

/** `_access` as JSON, once per shared summary (records of one decision pattern share it). */
const accessTexts = new WeakMap<AccessSummary, string>();

function accessText(summary: AccessSummary): string {
  let text = accessTexts.get(summary);
  if (text === undefined) accessTexts.set(summary, (text = JSON.stringify(summary)));
  return text;
}

/**
 * `JSON.stringify(recordJson(record))`, without the copy of every record's values that
 * recordJson makes: the values are stringified as they are and `_access` is appended as
 * their last key (field names are lowerCamelCase, so none is `_access` or sorts as an
 * index). Nothing is added or dropped: it is JSON.stringify of the same objects.
 */
export function recordJsonText(record: RenderedRecord): string {
  const values = JSON.stringify(record.values);
  const access = accessText(accessSummary(record.access));
  return values === '{}' ? `{"_access":${access}}` : `${values.slice(0, -1)},"_access":${access}}`;
}

/** `JSON.stringify({ items: items.map(recordJson), nextCursor })`: a page of records as the list routes answer it. */
export function recordPageText(page: { items: readonly RenderedRecord[]; nextCursor: string | null }): string {
  let items = '';
  for (const item of page.items) items += items === '' ? recordJsonText(item) : `,${recordJsonText(item)}`;
  return `{"items":[${items}],"nextCursor":${JSON.stringify(page.nextCursor)}}`;
}
