import type { ReactNode } from 'react';
import type { AccessBlock, ModelField } from '../api.js';

export type FieldState = 'clear' | 'masked' | 'withheld' | 'revealed';

/** How the service sent a field to this person: from the record's own `_access` block. */
export function stateOf(access: AccessBlock | undefined, field: string): FieldState {
  if (access?.withheld.includes(field)) return 'withheld';
  if (access?.masked.includes(field)) return 'masked';
  if (access?.revealed?.includes(field)) return 'revealed';
  return 'clear';
}

const text = (value: unknown): string => {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(String).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
};

/**
 * A field's value as this person receives it. A withheld field has no value: it shows a
 * label, never text that could pass for data; a masked value carries a "masked" badge.
 */
export function FieldValue({ field, value, state, link }: { field: ModelField; value: unknown; state: FieldState; link?: (text: string) => ReactNode }) {
  if (state === 'withheld') return <span className="badge withheld" title="Your role may not see this field: it was not sent">withheld</span>;
  if (field.type === 'file') return <span className="muted">file</span>;
  const shown = text(value);
  return (
    <span className={`value ${state}`}>
      {shown === '' ? <span className="muted">empty</span> : link && state === 'clear' ? link(shown) : shown}
      {state === 'masked' && (
        <span className="badge masked" title="Masked by policy: this is not the real value">
          masked
        </span>
      )}
      {state === 'revealed' && (
        <span className="badge revealed" title="Shown in clear under an approved access request">
          granted
        </span>
      )}
    </span>
  );
}
