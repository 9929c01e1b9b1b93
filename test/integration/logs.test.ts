import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CUSTOMERS } from '../../src/data/demo-data.js';
import { graphql, startTestApp, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

describe('logs', () => {
  it('never carry a phone, e-mail, IBAN, tax id, address or token, across a full scenario', async () => {
    const tokens = [await t.token('root', 'admin'), await t.token('alice', 'agent'), await t.token('dora', 'assistant')];
    const [admin, agent, assistant] = tokens.map((tk) => ({ authorization: `Bearer ${tk}` }));
    const list = await t.http({ url: '/v1/customers?limit=100', headers: admin });
    const ids = list.json().items.map((c: { id: string }) => c.id) as string[];
    for (const id of ids) await t.http({ url: `/v1/customers/${id}`, headers: agent });
    await t.http({ url: '/v1/customers/export?format=csv', headers: admin });
    await t.http({ url: '/v1/customers/export', headers: assistant });
    await t.http({ method: 'POST', url: '/v1/customers', headers: admin, payload: { fullName: 'Log Probe', email: 'log.probe@example.com', phone: '+39 300 000 0000' } });
    await t.http({ method: 'POST', url: '/v1/customers', headers: admin, payload: { fullName: 'Bad', email: 'not-an-email-but-secret@x' } });
    await t.http({ method: 'PATCH', url: `/v1/customers/${ids[0]}`, headers: agent, payload: { iban: 'DE89370400440532013000' } });
    await graphql(t.app, tokens[1]!, '{ customers(first: 100) { nodes { fullName email phone } } }');
    await t.http({ url: '/v1/customers?cursor=Z2l1bGlhLm1hcmNoZXR0aUBleGFtcGxlLmNvbQ', headers: admin });
    await t.http({ url: '/v1/customers', headers: { authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' } });

    const log = t.rawLogs.join('\n');
    expect(t.logs.filter((l) => l.msg === 'request').length).toBeGreaterThan(15);
    const secrets = [
      ...DEMO_CUSTOMERS.flatMap((c) => [c.email, c.phone, c.iban, c.taxId, c.address]),
      'log.probe@example.com',
      '+39 300 000 0000',
      'not-an-email-but-secret@x',
      'DE89370400440532013000',
      ...tokens,
      'eyJhbGciOiJub25lIn0',
    ].filter((v): v is string => typeof v === 'string');
    for (const secret of secrets) expect(log, secret).not.toContain(secret);
  });

  it('writes one line per request with request id, route, status, latency and actor', async () => {
    await t.http({ url: '/v1/customers', headers: { authorization: `Bearer ${await t.token('alice', 'agent')}`, 'x-request-id': 'log-line-1' } });
    const line = t.logs.find((l) => l.reqId === 'log-line-1' && l.msg === 'request');
    expect(line).toMatchObject({ route: '/v1/customers', method: 'GET', status: 200, actor: 'alice' });
    expect(typeof line!.ms).toBe('number');
    const auditLine = t.logs.find((l) => l.reqId === 'log-line-1' && l.audit === true);
    expect(auditLine).toMatchObject({ action: 'list', outcome: 'allowed', actor: 'alice' });
  });
});
