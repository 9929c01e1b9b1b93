import pg from 'pg';

/**
 * A fresh database for the benchmark on the machine's PostgreSQL (BENCH_DATABASE_URL,
 * else DATABASE_URL, else the local server), dropped again at the end.
 */
export async function createBenchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const serverUrl = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const name = `fieldguard_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/**
 * Seeds `count` standard customers with realistic shapes, in one statement, then gathers
 * planner statistics as a live database has them: right after a bulk load the planner
 * would guess, and a query on a table it guessed wrong about measures the guess. Returns
 * their ids unless `returnIds` is false (a large seed that needs none).
 */
export async function seedCustomers(url: string, count: number, { returnIds = true } = {}): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      `insert into customers (full_name, email, phone, address, iban, tax_id, notes)
       select 'Customer ' || i, 'customer' || i || '@example.com',
              '+39 347 ' || lpad((i % 1000)::text, 3, '0') || ' ' || lpad((i % 10000)::text, 4, '0'),
              'Via Roma ' || i || ', Milano', 'IT60X05428111010000' || lpad(i::text, 8, '0'),
              'TAXID' || lpad(i::text, 11, '0'), 'Bench customer ' || i
       from generate_series(1, $1::int) as i
       ${returnIds ? 'returning id' : ''}`,
      [count],
    );
    await client.query('analyze customers');
    return rows.map((r) => r.id as string);
  } finally {
    await client.end();
  }
}

/** Seeds `perCustomer` bookings for every customer, in one statement. */
export async function seedBookings(url: string, perCustomer: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      `insert into bookings (customer_id, staff_sub, service, starts_at, ends_at, notes)
       select c.id, 'staff-' || (k % 3), 'Haircut',
              timestamptz '2026-01-05 09:00+00' + (k * interval '7 days') + ((hashtext(c.id::text) & 255) * interval '1 hour'),
              timestamptz '2026-01-05 10:00+00' + (k * interval '7 days') + ((hashtext(c.id::text) & 255) * interval '1 hour'),
              'Bench booking ' || k
       from customers c, generate_series(1, $1::int) as k`,
      [perCustomer],
    );
    await client.query('analyze bookings');
  } finally {
    await client.end();
  }
}
