import { pipeline, Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import Fastify from 'fastify';
import pg from 'pg';
import Cursor from 'pg-cursor';

/**
 * The benchmark's baseline (issue 7): a bare fastify app doing the same primary-key
 * SELECT, the same 50-row list, the same list with nested bookings and the same CSV export as
 * fieldguard, with pg and nothing else: no auth, no policy, no masking, no audit. Run by the bench in its own process; DATABASE_URL, PORT.
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

// The export's counterpart (issue 16): every customer from a pg-cursor, 500 rows a read as
// fieldguard's export reads them, written as CSV with the same library, streamed.
app.get('/customers/export.csv', async (_request, reply) => {
  const client = await pool.connect();
  const cursor = client.query(new Cursor('select * from customers order by id'));
  const rows = async function* () {
    try {
      for (let batch = await cursor.read(500); batch.length > 0; batch = await cursor.read(500)) yield* batch;
    } finally {
      await cursor.close();
      client.release();
    }
  };
  const csv = stringify({ header: true });
  pipeline(Readable.from(rows()), csv, () => {});
  return reply.type('text/csv; charset=utf-8').send(csv);
});

const close = () => void app.close().then(() => pool.end()).then(() => process.exit(0));
process.once('SIGTERM', close);
process.once('SIGINT', close);

const url = await app.listen({ port: Number(process.env.PORT ?? 18_182), host: '127.0.0.1' });
process.stdout.write(`baseline listening on ${url}\n`);
