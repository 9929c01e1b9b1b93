import { afterEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

// The console's development sign-in mints a token for anyone who reaches the port, so it
// exists only where a person at this machine is the only one who can: dev tokens accepted
// (no identity provider, not production) and, unless CONSOLE_DEV_SIGNIN says otherwise, a
// loopback listening address. Over a real port.

// The service as `npm start` runs it in development: dev tokens, no identity provider.
const DEV_AUTH = { AUTH_JWKS_URL: '', AUTH_ISSUER: '', AUTH_AUDIENCE: '', AUTH_DEV_SECRET: 'console-signin-test-secret-0123456789', DEMO_DATA: 'false' };

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const mint = async (app: TestApp) => app.http({ method: 'POST', url: '/console/dev-token', payload: { sub: 'eve', roles: ['admin'] } });

describe('the console development sign-in', () => {
  it('mints a token on a loopback address', async () => {
    t = await startTestApp({ ...DEV_AUTH, HOST: '127.0.0.1' });
    expect((await mint(t)).statusCode).toBe(200);
  });

  it('does not exist when the service listens beyond this machine, unless CONSOLE_DEV_SIGNIN=true says so', async () => {
    t = await startTestApp({ ...DEV_AUTH, HOST: '0.0.0.0' });
    expect((await mint(t)).statusCode).toBe(404);
    expect((await t.http({ url: '/console/dev-token' })).statusCode).toBe(404);
    await t.close();
    t = await startTestApp({ ...DEV_AUTH, HOST: '0.0.0.0', CONSOLE_DEV_SIGNIN: 'true' });
    expect((await mint(t)).statusCode).toBe(200);
  });

  it('can be turned off on loopback too', async () => {
    t = await startTestApp({ ...DEV_AUTH, HOST: '127.0.0.1', CONSOLE_DEV_SIGNIN: 'false' });
    expect((await mint(t)).statusCode).toBe(404);
  });
});
