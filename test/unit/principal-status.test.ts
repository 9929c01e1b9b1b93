import { describe, expect, it } from 'vitest';
import { parseAnnouncement } from '../../src/auth/principal-status-listener.js';
import { PrincipalStatusStore } from '../../src/auth/principal-status.js';

const leo = { sub: 'leo', roles: ['agent'], tokenId: null, claims: {} };

describe('the memory of disabled people', () => {
  it('refuses everyone until it is loaded, then only the disabled', () => {
    let now = 1_000;
    const store = new PrincipalStatusStore(5_000, () => now);
    expect(store.refusal(leo)?.code).toBe('UNAVAILABLE');
    store.reload([{ sub: 'leo', jti: '', disabled: true, revision: 3n }], now);
    expect(store.refusal(leo)?.code).toBe('PRINCIPAL_DISABLED');
    expect(store.refusal({ ...leo, sub: 'alice' })).toBeNull();
    now += 100;
    store.apply({ sub: 'leo', jti: '', disabled: false, revision: 4n });
    expect(store.refusal(leo)).toBeNull();
  });

  it('ignores an announcement older than what it holds, whatever order they arrive in', () => {
    const store = new PrincipalStatusStore(null);
    store.reload([], 0);
    store.apply({ sub: 'leo', jti: '', disabled: true, revision: 9n });
    store.apply({ sub: 'leo', jti: '', disabled: false, revision: 8n });
    expect(store.isDisabled('leo')).toBe(true);
    // A full reload read before a change this instance already heard of does not undo it.
    store.reload([{ sub: 'leo', jti: '', disabled: false, revision: 8n }], 0);
    expect(store.isDisabled('leo')).toBe(true);
  });

  it('fails closed once it has not been confirmed current for longer than its bound, and recovers when confirmed', () => {
    let now = 0;
    const store = new PrincipalStatusStore(5_000, () => now);
    store.reload([], 0);
    now = 5_000;
    expect(store.current).toBe(true);
    now = 5_001;
    expect(store.current).toBe(false);
    expect(store.refusal(leo)?.status).toBe(503);
    store.confirm(5_001);
    expect(store.refusal(leo)).toBeNull();
    // Without a bound (embedded PGlite: one process) it never goes stale once loaded.
    const local = new PrincipalStatusStore(null, () => now);
    local.reload([], 0);
    now = 10_000_000;
    expect(local.current).toBe(true);
  });

  it('refuses one disabled token by its jti, and no other token of the person', () => {
    const store = new PrincipalStatusStore(null);
    store.reload([{ sub: 'leo', jti: 'stolen', disabled: true, revision: 1n }], 0);
    expect(store.refusal({ ...leo, tokenId: 'stolen' })?.code).toBe('PRINCIPAL_DISABLED');
    expect(store.refusal({ ...leo, tokenId: 'other' })).toBeNull();
    expect(store.refusal(leo)).toBeNull();
    // The same jti under another sub is another token.
    expect(store.refusal({ ...leo, sub: 'alice', tokenId: 'stolen' })).toBeNull();
  });

  it('reads the trigger’s announcements and nothing else', () => {
    expect(parseAnnouncement('{"sub":"leo","jti":"","disabled":true,"revision":12}')).toEqual({ sub: 'leo', jti: '', disabled: true, revision: 12n });
    for (const bad of [undefined, '', 'leo', '{"sub":"leo"}', '{"sub":"leo","disabled":true,"revision":1}', '{"sub":1,"jti":"","disabled":true,"revision":1}', '{"sub":"leo","jti":"","disabled":"yes","revision":1}']) {
      expect(parseAnnouncement(bad)).toBeNull();
    }
  });
});
