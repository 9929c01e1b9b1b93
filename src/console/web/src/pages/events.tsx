import type { ReactNode } from 'react';
import { Link } from '../App.js';
import { BASE } from '../router.js';
import type { TrailEvent } from './trail.js';
import { TableWrap } from './ui.js';

export const personPath = (sub: string) => `${BASE}/history/person/${encodeURIComponent(sub)}`;

/** Why an event is to be reviewed: access seen at once without an approver, or an anomaly the service recorded. */
export type Flag = 'break-glass' | 'anomaly';

export function flagOf(e: TrailEvent): Flag | null {
  if (e.action.startsWith('anomaly.') || e.details?.anomaly) return 'anomaly';
  if (e.details?.breakGlass || e.action === 'access.break_glass') return 'break-glass';
  return null;
}

/** The flag in words as well as colour: what happened and why it is shown. */
function FlagNote({ e, flag }: { e: TrailEvent; flag: Flag }) {
  const count = typeof e.details?.count === 'number' ? e.details.count : null;
  return (
    <div className="flag-note">
      <span className="badge withheld">{flag}</span>{' '}
      {flag === 'anomaly'
        ? `${e.reason ?? 'Unusual activity.'}${count !== null ? ` ${count} records read.` : ''}`
        : 'Seen at once, without an approver: review it.'}
    </div>
  );
}

export function FieldLists({ fields }: { fields: TrailEvent['fields'] }) {
  const none = !fields.clear.length && !fields.masked.length && !fields.withheld.length && !fields.written.length;
  return (
    <>
      {fields.clear.length > 0 && <div data-kind="clear">clear: {fields.clear.join(', ')}</div>}
      {fields.masked.length > 0 && <div data-kind="masked">masked: {fields.masked.join(', ')}</div>}
      {fields.withheld.length > 0 && <div data-kind="withheld">withheld: {fields.withheld.join(', ')}</div>}
      {fields.written.length > 0 && <div data-kind="written">written: {fields.written.join(', ')}</div>}
      {none && <span className="muted">none</span>}
    </>
  );
}

/**
 * One event of the trail as a table row, the same in Activity and in "Who saw this":
 * when, who (linked to their history), optionally the door (`channel`), the action with
 * its flag and `under` beneath it, optionally `what` it was about, the fields, the outcome.
 */
export function EventRow({ e, channel, what, under }: { e: TrailEvent; channel?: boolean; what?: ReactNode; under?: ReactNode }) {
  const flag = flagOf(e);
  return (
    <tr data-action={e.action} data-actor={e.actor.sub ?? ''} data-flag={flag ?? undefined} className={flag ? 'flagged' : undefined}>
      <td>{new Date(e.occurredAt).toLocaleString()}</td>
      <td>
        {e.actor.sub ? <Link to={personPath(e.actor.sub)}>{e.actor.sub}</Link> : <span className="muted">unknown</span>}
        {e.actor.roles.length > 0 && <div className="muted">{e.actor.roles.join(', ')}</div>}
      </td>
      {channel && <td>{e.channel}</td>}
      <td>
        <code>{e.action}</code>
        {flag && <FlagNote e={e} flag={flag} />}
        {under}
      </td>
      {what !== undefined && <td>{what}</td>}
      <td className="fields">
        <FieldLists fields={e.fields} />
      </td>
      <td>
        <span className={`badge ${e.outcome === 'allowed' ? 'ok' : 'withheld'}`}>{e.outcome}</span>
        {e.reason && e.outcome === 'denied' && flag !== 'anomaly' && <div className="muted">{e.reason}</div>}
      </td>
    </tr>
  );
}

/**
 * Events of the trail as a table (Activity, "Who saw this"): the columns of EventRow,
 * with `what` an event was about and `under` its action when given.
 */
export function EventTable({ label, events, channel, what, under, className }: { label: string; events: TrailEvent[]; channel?: boolean; what?: (e: TrailEvent) => ReactNode; under?: (e: TrailEvent) => ReactNode; className?: string }) {
  return (
    <TableWrap label={label}>
      <table className={`activity${className ? ` ${className}` : ''}`}>
        <caption className="visually-hidden">{label}</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Who</th>
            {channel && <th scope="col">How</th>}
            <th scope="col">Action</th>
            {what && <th scope="col">What</th>}
            <th scope="col">Fields</th>
            <th scope="col">Outcome</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => (
            <EventRow key={e.eventId} e={e} {...(channel ? { channel } : {})} {...(what ? { what: what(e) } : {})} {...(under ? { under: under(e) } : {})} />
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

/** How many events of a list are flagged, in words ("" when none). */
export function flaggedSummary(events: TrailEvent[]): string {
  const flags = events.map(flagOf);
  const breakGlass = flags.filter((f) => f === 'break-glass').length;
  const anomalies = flags.filter((f) => f === 'anomaly').length;
  if (breakGlass + anomalies === 0) return '';
  const parts = [breakGlass > 0 && `${breakGlass} break-glass`, anomalies > 0 && `${anomalies} anomal${anomalies === 1 ? 'y' : 'ies'}`].filter(Boolean);
  return `To review (highlighted): ${parts.join(', ')}.`;
}
