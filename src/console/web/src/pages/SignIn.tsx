import { useEffect, useId, useState, type FormEvent } from 'react';
import { api, errorWords, type DevSignIn } from '../api.js';
import { sessionFor, signIn, takeEndReason } from '../session.js';
import { consoleConfig, SignInError, startSignIn, type ConsoleConfig } from '../oidc.js';

/**
 * Production: sign in at the organisation's identity provider (OpenID Connect, see
 * oidc.ts). Development: pick a role (and a name), and the service mints a short
 * development token, as `npm run token` does. A token can always be pasted.
 */
export function SignIn() {
  const [dev, setDev] = useState<DevSignIn | null | undefined>(undefined);
  const [sub, setSub] = useState('');
  const [roles, setRoles] = useState<string[]>([]);
  const [pasted, setPasted] = useState('');
  const [problem, setProblem] = useState<string | null>(takeEndReason);
  const [busy, setBusy] = useState(false);
  const [oidc, setOidc] = useState<ConsoleConfig['oidc'] | undefined>(undefined);
  const ids = { sub: useId(), token: useId() };

  useEffect(() => {
    // The role picker's roles only where the service says development sign-in is on.
    consoleConfig().then(
      (c) => {
        setOidc(c.oidc);
        if (!c.devSignIn) return setDev(null);
        api<DevSignIn>('/console/dev-token', { anonymous: true }).then(setDev, () => setDev(null));
      },
      () => {
        setOidc(null);
        setDev(null);
      },
    );
  }, []);

  const providerSignIn = async () => {
    if (!oidc) return;
    setProblem(null);
    setBusy(true);
    try {
      await startSignIn(oidc);
    } catch (err) {
      setProblem(err instanceof SignInError ? err.message : 'Sign-in could not start. Try again.');
      setBusy(false);
    }
  };


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
      {(dev === undefined || oidc === undefined) && <p aria-live="polite">Loading…</p>}
      {oidc && (
        <section aria-labelledby="idp-heading">
          <h2 id="idp-heading">Your organisation’s account</h2>
          <p className="hint">You are sent to your identity provider to sign in, then brought back here.</p>
          <button type="button" onClick={providerSignIn} disabled={busy}>
            Sign in with your organisation
          </button>
        </section>
      )}
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
      {dev === null && oidc === null && (
        <p className="hint">This service has no sign-in through an identity provider configured: paste a token your identity provider issued you.</p>
      )}
      {dev !== undefined && oidc !== undefined && (
        <details className="paste" open={dev === null && oidc === null}>
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
