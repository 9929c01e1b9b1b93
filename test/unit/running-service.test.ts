import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { runningService } from '../../src/cli/running-service.js';
import { loadConfig } from '../../src/config.js';

// The CLI sends a token to the service named in a PGlite folder's lock file. Anyone who
// can write that folder could point it elsewhere: only a service of this machine on
// loopback is ever sent one.

const config = loadConfig({ AUTH_DEV_SECRET: 'running-service-test-secret-0123456789', PGLITE_DIR: '/tmp/fieldguard-unused' });
const holder = (over: { hostname?: string; url: string }) => ({ pid: 1, command: 'fieldguard service', startedAt: '', token: 't', hostname: hostname(), ...over });

describe('the CLI beside a running service', () => {
  it('talks to a service of this machine on loopback', () => {
    expect(runningService(config, holder({ url: 'http://127.0.0.1:8080' })).holder.url).toBe('http://127.0.0.1:8080');
  });

  it.each([
    ['another host', { hostname: 'elsewhere.example', url: 'http://127.0.0.1:8080' }],
    ['a remote URL', { url: 'http://attacker.example:8080' }],
    ['https elsewhere', { url: 'https://10.0.0.5' }],
    ['not a URL', { url: 'nonsense' }],
  ])('refuses to send a token to %s', (_what, over) => {
    expect(() => runningService(config, holder(over))).toThrow(/will not send it a token/);
  });
});
