import * as oauth from 'oauth4webapi';
import { BASE } from './router.js';
import { sessionFor, type Session } from './session.js';

/**
 * Sign-in at the organisation's identity provider: OpenID Connect authorization code
 * with PKCE (S256), state and nonce, as a public client (no secret in the page). The
 * protocol is oauth4webapi's (discovery, the authorization response's checks, the token
 * request, the ID token's claims); this file only keeps the round trip's secrets.
 *
 * The verifier, state and nonce live in sessionStorage only between the redirect to the
 * provider and the return to /console/callback, and are removed on return whatever the
 * outcome; the access token then lives as every console session does (session.ts).
 */

/** What GET /console/config.json says: public values only. */
export interface ConsoleConfig {
  devSignIn: boolean;
  oidc: { issuer: string; clientId: string; scope: string; resource: string | null; audience: string | null; rolesClaim: string } | null;
}

type Oidc = NonNullable<ConsoleConfig['oidc']>;

const PENDING_KEY = 'fieldguard.console.oidc';
export const CALLBACK_PATH = `${BASE}/callback`;

interface Pending {
  verifier: string;
  state: string;
  nonce: string;
}

let config: Promise<ConsoleConfig> | null = null;

/** The console's public configuration, read once per page. */
export function consoleConfig(): Promise<ConsoleConfig> {
  config ??= fetch(`${BASE}/config.json`, { headers: { accept: 'application/json' }, cache: 'no-store', credentials: 'omit' }).then((r) => {
    if (!r.ok) throw new Error(`config ${r.status}`);
    return r.json() as Promise<ConsoleConfig>;
  });
  config.catch(() => {
    config = null;
  });
  return config;
}

const redirectUri = () => `${window.location.origin}${CALLBACK_PATH}`;

/** Plain http only to a provider on this machine (development, tests); https everywhere else. */
const insecureAllowed = (issuer: URL) => issuer.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname);

const httpOptions = (issuer: URL) => (insecureAllowed(issuer) ? { [oauth.allowInsecureRequests]: true } : {});

async function discover(oidc: Oidc): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(oidc.issuer);
  const response = await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...httpOptions(issuer) });
  return oauth.processDiscoveryResponse(issuer, response);
}

/** A sign-in problem in words a person can act on; the provider's own error text when it sent one. */
export class SignInError extends Error {
  override name = 'SignInError';
}

function words(err: unknown, step: string): SignInError {
  if (err instanceof SignInError) return err;
  if (err instanceof oauth.AuthorizationResponseError) {
    const said = err.error_description ?? err.error;
    return new SignInError(err.error === 'access_denied' ? 'The identity provider did not sign you in (access denied).' : `The identity provider refused the sign-in: ${said}.`);
  }
  if (err instanceof oauth.ResponseBodyError) return new SignInError(`The identity provider refused the sign-in: ${err.error_description ?? err.error}.`);
  if (err instanceof TypeError) return new SignInError(`The identity provider cannot be reached (${step}): check the network, or ask your administrator whether the console is allowed to call it.`);
  return new SignInError(`Sign-in failed while ${step}. Try again; if it keeps failing, tell your administrator.`);
}

/** Sends the browser to the identity provider's sign-in page. */
export async function startSignIn(oidc: Oidc): Promise<void> {
  let as: oauth.AuthorizationServer;
  try {
    as = await discover(oidc);
  } catch (err) {
    throw words(err, 'reading the identity provider’s configuration');
  }
  if (!as.authorization_endpoint) throw new SignInError('The identity provider publishes no authorization endpoint.');
  const pending: Pending = { verifier: oauth.generateRandomCodeVerifier(), state: oauth.generateRandomState(), nonce: oauth.generateRandomNonce() };
  const url = new URL(as.authorization_endpoint);
  url.searchParams.set('client_id', oidc.clientId);
  url.searchParams.set('redirect_uri', redirectUri());
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', oidc.scope);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(pending.verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('state', pending.state);
  url.searchParams.set('nonce', pending.nonce);
  if (oidc.resource) url.searchParams.set('resource', oidc.resource);
  if (oidc.audience) url.searchParams.set('audience', oidc.audience);
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  window.location.assign(url.href);
}

function takePending(): Pending | null {
  const stored = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  if (!stored) return null;
  try {
    const p = JSON.parse(stored) as Partial<Pending>;
    return typeof p.verifier === 'string' && typeof p.state === 'string' && typeof p.nonce === 'string' ? (p as Pending) : null;
  } catch {
    return null;
  }
}

let finishing: Promise<Session> | null = null;

/**
 * On /console/callback: checks the answer (state, issuer), exchanges the code with the
 * verifier, checks the ID token's claims (nonce, issuer, audience) and returns the
 * session of the access token, the bearer of every API call. Runs once per page.
 */
export function finishSignIn(callbackUrl: URL): Promise<Session> {
  finishing ??= (async () => {
    const pending = takePending();
    if (!pending) throw new SignInError('This sign-in was not started from this tab, or was already used. Start again.');
    const cfg = await consoleConfig().catch((err: unknown) => {
      throw words(err, 'reading the console’s configuration');
    });
    if (!cfg.oidc) throw new SignInError('Sign-in through an identity provider is not configured on this service.');
    const oidc = cfg.oidc;
    let step = 'reading the identity provider’s configuration';
    try {
      const as = await discover(oidc);
      const client: oauth.Client = { client_id: oidc.clientId };
      step = 'checking the identity provider’s answer';
      const params = oauth.validateAuthResponse(as, client, callbackUrl, pending.state);
      step = 'exchanging the sign-in code';
      const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, redirectUri(), pending.verifier, {
        ...httpOptions(new URL(oidc.issuer)),
        ...(oidc.resource ? { additionalParameters: { resource: oidc.resource } } : {}),
      });
      const result = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: pending.nonce, requireIdToken: true });
      const session = sessionFor(result.access_token, oidc.rolesClaim);
      if (!session) throw new SignInError('The identity provider issued an access token the service cannot use (not a JWT with a subject): ask your administrator to issue JWT access tokens for this service’s audience.');
      return session;
    } catch (err) {
      throw words(err, step);
    }
  })();
  return finishing;
}
