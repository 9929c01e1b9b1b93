/**
 * The signed-in person's token: in memory, and in sessionStorage so a reload of the tab
 * keeps it; never in localStorage, so it goes with the tab. Dropped on sign-out.
 */
const KEY = 'fieldguard.console.session';

export interface Session {
  token: string;
  sub: string;
  roles: string[];
  /** Seconds since the epoch, from the token. */
  expiresAt: number | null;
}

let current: Session | null = null;
const listeners = new Set<() => void>();

function decodeClaims(token: string): Record<string, unknown> | null {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const text = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** What the token says about its holder, for display only: the service decides everything. */
export function sessionFor(token: string, rolesClaim = 'roles'): Session | null {
  const claims = decodeClaims(token);
  if (!claims || typeof claims.sub !== 'string') return null;
  const roles = Array.isArray(claims[rolesClaim]) ? (claims[rolesClaim] as unknown[]).filter((r): r is string => typeof r === 'string') : [];
  return { token, sub: claims.sub, roles, expiresAt: typeof claims.exp === 'number' ? claims.exp : null };
}

export function currentSession(): Session | null {
  if (current) return current;
  const stored = sessionStorage.getItem(KEY);
  if (!stored) return null;
  const session = sessionFor(stored);
  if (!session || (session.expiresAt !== null && session.expiresAt * 1000 <= Date.now())) {
    sessionStorage.removeItem(KEY);
    return null;
  }
  current = session;
  return current;
}

export function signIn(session: Session): void {
  current = session;
  sessionStorage.setItem(KEY, session.token);
  listeners.forEach((l) => l());
}

let endedBecause: string | null = null;

/** Why the last session ended, when the service ended it (expired, disabled); read once. */
export function takeEndReason(): string | null {
  const reason = endedBecause;
  endedBecause = null;
  return reason;
}

export function signOut(reason: string | null = null): void {
  endedBecause = reason;
  current = null;
  sessionStorage.removeItem(KEY);
  listeners.forEach((l) => l());
}

export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
