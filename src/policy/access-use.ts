/** How one person was shown one field over the window: events showing it clear / masked, and when last. */
export interface FieldUse {
  clear: number;
  masked: number;
  lastClear: Date | null;
  lastMasked: Date | null;
}

/** One person's requests over the window, as the trail recorded them. */
export interface PersonUse {
  sub: string;
  events: number;
  firstSeen: Date;
  lastSeen: Date;
  /** Chain position of their latest event: its roles are `roles`. */
  lastSeq: bigint;
  roles: string[];
  /** Every role any of their events carried. */
  rolesInWindow: Set<string>;
  /** `Type.field` -> use. */
  fields: Map<string, FieldUse>;
  /** Type -> allowed exports. */
  exports: Map<string, number>;
}

export const fieldKey = (resource: string, field: string) => `${resource}.${field}`;

const later = (a: Date | null, b: Date | null) => (a === null ? b : b === null ? a : a > b ? a : b);

/**
 * Adds up what the trail says, slice by slice (the repository aggregates each slice in
 * SQL; this merges the slices). Knows nothing of the database, so it is tested alone.
 */
export class AccessUseTally {
  readonly people = new Map<string, PersonUse>();

  addPeople(rows: Array<{ sub: string; events: number; firstSeen: Date; lastSeen: Date; lastSeq: string; roles: string[]; roleSets: string[][] }>): void {
    for (const row of rows) {
      const seq = BigInt(row.lastSeq);
      let person = this.people.get(row.sub);
      if (!person) {
        person = { sub: row.sub, events: 0, firstSeen: row.firstSeen, lastSeen: row.lastSeen, lastSeq: seq, roles: row.roles, rolesInWindow: new Set(), fields: new Map(), exports: new Map() };
        this.people.set(row.sub, person);
      }
      person.events += row.events;
      if (row.firstSeen < person.firstSeen) person.firstSeen = row.firstSeen;
      if (row.lastSeen > person.lastSeen) person.lastSeen = row.lastSeen;
      if (seq >= person.lastSeq) [person.lastSeq, person.roles] = [seq, row.roles];
      for (const set of row.roleSets) for (const role of set) person.rolesInWindow.add(role);
    }
  }

  addFieldUse(rows: Array<{ sub: string; resource: string; field: string; clear: number; masked: number; lastClear: Date | null; lastMasked: Date | null }>): void {
    for (const row of rows) {
      const person = this.people.get(row.sub);
      if (!person) continue;
      const key = fieldKey(row.resource, row.field);
      const use = person.fields.get(key) ?? { clear: 0, masked: 0, lastClear: null, lastMasked: null };
      use.clear += row.clear;
      use.masked += row.masked;
      use.lastClear = later(use.lastClear, row.lastClear);
      use.lastMasked = later(use.lastMasked, row.lastMasked);
      person.fields.set(key, use);
    }
  }

  addExports(rows: Array<{ sub: string; resource: string; exports: number }>): void {
    for (const row of rows) {
      const person = this.people.get(row.sub);
      if (person) person.exports.set(row.resource, (person.exports.get(row.resource) ?? 0) + row.exports);
    }
  }
}

/**
 * The people of the window who held `role` itself on some event. Holders of roles that
 * inherit it are not counted: narrowing the role may not reach them (they may grant the
 * field themselves), and where it does the suggestion's diff says so.
 */
export function holdersOf(role: string, people: Iterable<PersonUse>): PersonUse[] {
  return [...people].filter((p) => p.rolesInWindow.has(role));
}
