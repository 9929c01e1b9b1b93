import type { ExposureEvent } from '../audit/incident-scope.repository.js';
import type { Policy } from '../policy/load-policy.js';

/** What one subject (a root record: a customer, a patient) was shown, over its own record and its children's. */
export interface SubjectExposure {
  resource: string;
  id: string;
  /** `Resource.field` seen clear, masked (and never clear), withheld (and never shown). */
  clear: string[];
  masked: string[];
  withheld: string[];
  /** The fields of `clear` with a personal data class (any but `system`): what a letter to the person names. */
  personalClear: string[];
  /** Fields the policy protects (a mask, or a file's content) seen clear: why the subject is to be notified. */
  protectedClear: string[];
  /** The data classes of its personal fields (any class but `system`) seen clear. */
  classes: string[];
  /** Records of it (itself and its children) shown, and in how many events. */
  records: number;
  events: number;
  actors: string[];
  firstExposure: string;
  lastExposure: string;
  /** A child record whose parent is no longer in its table (erased since): the subject is the child itself. */
  parentUnknown?: true;
}

interface Acc {
  resource: string;
  id: string;
  clear: Set<string>;
  masked: Set<string>;
  withheld: Set<string>;
  records: Set<string>;
  events: number;
  /** The last event counted: a list showing two of a subject's records is one event. */
  lastSeq: string;
  actors: Set<string>;
  first: Date;
  last: Date;
  parentUnknown: boolean;
}

/** Maps a record to its root subject through the model's `parent` chain; null when a parent is not found. */
export type RootOf = (resource: string, id: string) => { resource: string; id: string } | null;

/**
 * Folds exposure events into subjects. A child's fields count toward its root (a booking
 * read exposes its customer), named `Booking.notes`; a field seen clear anywhere is clear.
 */
export class ExposureTally {
  private subjects = new Map<string, Acc>();
  readonly records = new Set<string>();

  constructor(private readonly policy: Policy) {}

  /** Folds one event in; false when it stopped at `maxRecords` distinct records (an export may name many). */
  add(event: ExposureEvent, rootOf: RootOf, maxRecords = Infinity): boolean {
    for (const id of event.resourceIds) {
      if (this.records.size >= maxRecords && !this.records.has(`${event.resourceType}\u0000${id}`)) return false;
      const root = rootOf(event.resourceType, id);
      const subject = root ?? { resource: event.resourceType, id };
      const key = `${subject.resource}\u0000${subject.id}`;
      let acc = this.subjects.get(key);
      if (!acc) {
        acc = { ...subject, clear: new Set(), masked: new Set(), withheld: new Set(), records: new Set(), events: 0, lastSeq: '', actors: new Set(), first: event.occurredAt, last: event.occurredAt, parentUnknown: false };
        this.subjects.set(key, acc);
      }
      const name = (f: string) => `${event.resourceType}.${f}`;
      event.fieldsClear.forEach((f) => acc.clear.add(name(f)));
      event.fieldsMasked.forEach((f) => acc.masked.add(name(f)));
      event.fieldsWithheld.forEach((f) => acc.withheld.add(name(f)));
      const record = `${event.resourceType}\u0000${id}`;
      acc.records.add(record);
      this.records.add(record);
      if (acc.lastSeq !== event.seq) [acc.events, acc.lastSeq] = [acc.events + 1, event.seq];
      acc.actors.add(event.actor);
      if (event.occurredAt < acc.first) acc.first = event.occurredAt;
      if (event.occurredAt > acc.last) acc.last = event.occurredAt;
      if (!root && this.policy.model.resources.get(event.resourceType)?.parent) acc.parentUnknown = true;
    }
    return true;
  }

  /** Every subject, in resource then id order. */
  subjectsSeen(): SubjectExposure[] {
    return [...this.subjects.values()]
      .sort((a, b) => a.resource.localeCompare(b.resource) || a.id.localeCompare(b.id))
      .map((a) => {
        const clear = [...a.clear].sort();
        const masked = [...a.masked].filter((f) => !a.clear.has(f)).sort();
        return {
          resource: a.resource,
          id: a.id,
          clear,
          masked,
          withheld: [...a.withheld].filter((f) => !a.clear.has(f) && !a.masked.has(f)).sort(),
          personalClear: clear.filter((f) => this.classOf(f) !== 'system'),
          protectedClear: clear.filter((f) => this.isProtected(f)),
          classes: [...new Set(clear.map((f) => this.classOf(f)).filter((c) => c !== 'system'))].sort(),
          records: a.records.size,
          events: a.events,
          actors: [...a.actors].sort(),
          firstExposure: a.first.toISOString(),
          lastExposure: a.last.toISOString(),
          ...(a.parentUnknown ? { parentUnknown: true as const } : {}),
        };
      });
  }

  /** The data class of `Resource.field`, `system` when the model does not know it. */
  classOf(qualified: string): string {
    const [resource, field] = qualified.split('.') as [string, string];
    const model = this.policy.model.resources.get(resource) ?? this.policy.model.callerKept?.get(resource);
    return model?.fields.find((f) => f.name === field)?.class ?? 'system';
  }

  /** A personal field the policy protects beyond record visibility: it has a mask, or it is a file's content. */
  isProtected(qualified: string): boolean {
    const [resource, field] = qualified.split('.') as [string, string];
    if (this.classOf(qualified) === 'system') return false;
    const file = this.policy.model.resources.get(resource)?.file?.field.name === field;
    return file || (this.policy.resources.get(resource)?.masks.has(field) ?? false);
  }
}
