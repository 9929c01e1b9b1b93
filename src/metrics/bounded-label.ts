/** Distinct values one label may take before the rest are counted as `other`. */
export const MAX_LABEL_VALUES = 200;

/**
 * Keeps label values bounded whatever reaches them. Names come from code and the data
 * model, so they are few; but a series per value lives as long as the process, so a value
 * that were ever derived from input (an id, a subject) must not grow the output without
 * end. Past the cap, and for anything that looks like an id, the value is `other`.
 */
export class LabelBound {
  private readonly seen = new Map<string, Set<string>>();

  constructor(private readonly max = MAX_LABEL_VALUES) {}

  value(label: string, value: string): string {
    let values = this.seen.get(label);
    if (!values) this.seen.set(label, (values = new Set()));
    if (values.has(value)) return value;
    if (values.size >= this.max || !NAME.test(value)) return 'other';
    values.add(value);
    return value;
  }
}

/** A name as code and models write them (`Customer`, `anomaly.bulk_access`, `phone`), never a UUID. */
const NAME = /^(?![0-9a-f]{8}-[0-9a-f]{4}-)[A-Za-z_][A-Za-z0-9_.:/-]{0,63}$/i;
