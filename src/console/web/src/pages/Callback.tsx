import { useEffect, useState } from 'react';
import { BASE } from '../router.js';
import { finishSignIn, SignInError } from '../oidc.js';
import { signIn } from '../session.js';

/** Leaves /console/callback (its code and state) for the console's home, without a history entry. */
function leaveCallback() {
  window.history.replaceState(null, '', BASE);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

/** The identity provider's return: the code is exchanged, then the console opens signed in. */
export function Callback() {
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    finishSignIn(new URL(window.location.href)).then(
      (session) => {
        leaveCallback();
        signIn(session);
      },
      (err: unknown) => setProblem(err instanceof SignInError ? err.message : 'Sign-in failed. Start again.'),
    );
  }, []);
  return (
    <main id="main" className="signin">
      <h1>Signing you in…</h1>
      {problem ? (
        <>
          <p role="alert" className="error">
            {problem}
          </p>
          <p>
            <a href={BASE} onClick={(e) => (e.preventDefault(), leaveCallback())}>
              Back to the sign-in page
            </a>
          </p>
        </>
      ) : (
        <p aria-live="polite">Finishing the sign-in with your identity provider…</p>
      )}
    </main>
  );
}
