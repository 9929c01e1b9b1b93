import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { FieldguardClient, FieldguardError } from '../src/index.js';

/**
 * A CRM route over records the CRM keeps in its own store: `GET /crm/customers` reads
 * them as it always did, then asks fieldguard, with the signed-in user's own token, what
 * that user may see of them. The user gets the rendered records (masked, withheld,
 * confidential ones dropped), fieldguard counts them against the user's read budget and
 * writes the audit event. The CRM never decides on its own what to show.
 */

/** A customer as the CRM stores it. */
export interface CrmCustomer {
  id: string;
  fullName: string;
  email: string | null;
  phone: string | null;
  privacyLevel: 'standard' | 'confidential';
  assignees: string[];
}

/** The CRM's own store: anything that returns its records. */
export interface CustomerStore {
  all(): Promise<CrmCustomer[]>;
}

export function crmRoute(fieldguard: FieldguardClient, store: CustomerStore) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET' || req.url !== '/crm/customers') return send(404, { error: 'no such route' });
    // The user's token, as the CRM's front end sent it: the decision is about them.
    const token = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!token) return send(401, { error: 'sign in first' });
    try {
      const records = await store.all();
      const { items, dropped } = await fieldguard.as(token).render('Customer', records, { purpose: 'CRM customer list' });
      send(200, { customers: items, hidden: dropped });
    } catch (err) {
      // fieldguard's refusals carry no data: pass on the status and the code.
      if (err instanceof FieldguardError) return send(err.status, { error: err.code, detail: err.problem.detail });
      send(502, { error: 'fieldguard unreachable' });
    }
  };
}

/** Run it: `FIELDGUARD_URL=http://127.0.0.1:8080 npx tsx clients/typescript/examples/crm-route.ts`. */
export function startCrm(fieldguardUrl: string, store: CustomerStore, port = 0): Server {
  // The route passes each user's own token with `as`; this default one is never sent.
  const fieldguard = new FieldguardClient({ baseUrl: fieldguardUrl, token: '' });
  return createServer((req, res) => void crmRoute(fieldguard, store)(req, res)).listen(port, '127.0.0.1');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const demo: CrmCustomer[] = [
    { id: 'crm-1', fullName: 'Elvira Alves', email: 'elvira@example.com', phone: '+39 347 123 4567', privacyLevel: 'standard', assignees: [] },
    { id: 'crm-2', fullName: 'Private Client', email: null, phone: '+39 347 765 4321', privacyLevel: 'confidential', assignees: ['bob'] },
  ];
  const server = startCrm(process.env.FIELDGUARD_URL ?? 'http://127.0.0.1:8080', { all: async () => demo }, Number(process.env.PORT ?? 3000));
  server.on('listening', () => process.stdout.write(`CRM on http://127.0.0.1:${(server.address() as { port: number }).port}/crm/customers\n`));
}
