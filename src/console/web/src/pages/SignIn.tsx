import { useEffect, useId, useState, type FormEvent } from 'react';
import { api, errorWords, type DevSignIn } from '../api.js';
import { sessionFor, signIn, takeEndReason } from '../session.js';

/**
 * Development: pick a role (and a name), and the service mints a short development token,
 * as `npm run token` does. Production sign-in through the identity provider (OpenID
 * Connect) comes next; meanwhile a token from it can be pasted.
 */
export function SignIn() {
  const [dev, setDev] = useState<DevSignIn | null | undefined>(undefined);
  const [sub, setSub] = useState('');
  const [roles, setRoles] = useState<string[]>([]);
  const [pasted, setPasted] = useState('');
  const [problem, setProblem] = useState<string | null>(takeEndReason);
  const [busy, setBusy] = useState(false);
  const ids = { sub: useId(), token: useId() };

  useEffect(() => {
    api<DevSignIn>('/console/dev-token', { anonymous: true }).then(
      (d) => {
        setDev(d);
      },
      () => setDev(null),
    );
  }, []);

  const devSignIn = async (event: FormEvent) => {
    event.preventDefault();
    setProblem(null);
    if (roles.length === 0) return setProblem('Pick at least one role.');
    setBusy(true);
    try {
      const { token } = await api<{ token: string }>('/console/dev-token', { method: 'POST', anonymous: true, body: { sub: sub.trim(), roles } });
      const session = sessionFor(token);
      if (!session) throw new Error('unreadable token');
      signIn(session);
    } catch (err) {
      setProblem(errorWords(err));
    } finally {
      setBusy(false);
    }
  };

  const tokenSignIn = (event: FormEvent) => {
    event.preventDefault();
    const session = sessionFor(pasted.trim());
    if (!session) setProblem('That is not a token the console can read: paste the whole JWT (three parts separated by dots).');
    else signIn(session);
  };

  return (
    <main id="main" className="signin">
      <h1>Sign in to the fieldguard console</h1>
      {problem && (
        <p role="alert" className="error">
          {problem}
        </p>
      )}
      {dev === undefined && <p aria-live="polite">Loading…</p>}
      {dev && (
        <form onSubmit={devSignIn} aria-labelledby="dev-heading">
          <h2 id="dev-heading">Development sign-in</h2>
          <p className="hint">This service runs with development tokens: pick who you are and one or more roles of the running policy.</p>
          <label htmlFor={ids.sub}>Your name (subject)</label>
          <input id={ids.sub} value={sub} onChange={(e) => setSub(e.target.value)} required maxLength={64} pattern="[A-Za-z0-9._@\-]+" autoComplete="username" />
          <fieldset>
            <legend>Roles</legend>
            {dev.roles.map((r) => (
              <label key={r} className="check">
                <input type="checkbox" checked={roles.includes(r)} onChange={(e) => setRoles(e.target.checked ? [...roles, r] : roles.filter((x) => x !== r))} /> {r}
              </label>
            ))}
          </fieldset>
          <button type="submit" disabled={busy}>
            Sign in
          </button>
        </form>
      )}
      {dev === null && (
        <p className="hint">Sign-in through your organisation's identity provider (OpenID Connect) is coming. Meanwhile, paste a token it issued you.</p>
      )}
      {dev !== undefined && (
        <details className="paste" open={dev === null}>
          <summary>Sign in with a token</summary>
          <form onSubmit={tokenSignIn}>
            <label htmlFor={ids.token}>Bearer token</label>
            <textarea id={ids.token} value={pasted} onChange={(e) => setPasted(e.target.value)} rows={4} required spellCheck={false} autoComplete="off" />
            <button type="submit">Use this token</button>
          </form>
        </details>
      )}
    </main>
  );
}
