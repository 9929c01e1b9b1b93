import Fastify from 'fastify';
import pg from 'pg';

/**
 * The benchmark's baseline (issue 7): a bare fastify app doing the same primary-key
 * SELECT, the same 50-row list and the same list with nested bookings as fieldguard, with pg and nothing else: no auth, no
 * policy, no masking, no audit. Run by the bench in its own process; DATABASE_URL, PORT.
 */
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_MAX ?? 10) });
const app = Fastify({ logger: false });

app.get<{ Params: { id: string } }>('/customers/:id', async (request, reply) => {
  const { rows } = await pool.query('select * from customers where id = $1', [request.params.id]);
  if (!rows[0]) return reply.code(404).send({ error: 'not found' });
  return rows[0];
});

app.get<{ Querystring: { limit?: string } }>('/customers', async (request) => {
  const limit = Math.min(Math.max(Number(request.query.limit ?? 20) || 20, 1), 100);
  const { rows } = await pool.query('select * from customers order by id limit $1', [limit]);
  return { items: rows };
});

// The nested GraphQL list's counterpart: the same 50 customers and, in one more query,
// the first 5 bookings of each, nested in the answer.
app.get<{ Querystring: { limit?: string } }>('/customers-with-bookings', async (request) => {
  const limit = Math.min(Math.max(Number(request.query.limit ?? 20) || 20, 1), 100);
  const { rows: customers } = await pool.query('select * from customers order by id limit $1', [limit]);
  const { rows: bookings } = await pool.query(
    `select * from (select b.*, row_number() over (partition by customer_id order by starts_at, id) as position
       from bookings b where customer_id = any($1)) ranked where position <= 5 order by customer_id, starts_at, id`,
    [customers.map((c) => c.id)],
  );
  const byCustomer = new Map<string, unknown[]>();
  for (const b of bookings) byCustomer.set(b.customer_id, [...(byCustomer.get(b.customer_id) ?? []), b]);
  return { items: customers.map((c) => ({ ...c, bookings: byCustomer.get(c.id) ?? [] })) };
});

const close = () => void app.close().then(() => pool.end()).then(() => process.exit(0));
process.once('SIGTERM', close);
process.once('SIGINT', close);

const url = await app.listen({ port: Number(process.env.PORT ?? 18_182), host: '127.0.0.1' });
process.stdout.write(`baseline listening on ${url}\n`);
