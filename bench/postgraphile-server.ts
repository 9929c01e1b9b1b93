import './lib/promise-with-resolvers.js';
import Fastify from 'fastify';
import { postgraphile } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'postgraphile/grafserv/fastify/v5';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';

/**
 * PostGraphile 5 over the bench database (issue 16's side-by-side): the same customers
 * table as GraphQL (`customerByRowId`), on fastify as fieldguard and the baseline are, with
 * no auth, masking or audit. PostGraphile 5 wants Node 22; see the shim imported first.
 * Run by the bench in its own process; DATABASE_URL, PORT.
 */
const pgl = postgraphile({
  extends: [PostGraphileAmberPreset],
  pgServices: [makePgService({ connectionString: process.env.DATABASE_URL, schemas: ['public'], poolConfig: { max: Number(process.env.DATABASE_POOL_MAX ?? 10) } })],
  grafserv: { graphqlPath: '/graphql', graphiql: false },
  grafast: { explain: false },
});
const app = Fastify({ logger: false });
await pgl.createServ(grafserv).addTo(app);

const close = () => void app.close().then(() => pgl.release()).then(() => process.exit(0));
process.once('SIGTERM', close);
process.once('SIGINT', close);

const url = await app.listen({ port: Number(process.env.PORT ?? 18_183), host: '127.0.0.1' });
process.stdout.write(`postgraphile listening on ${url}\n`);
