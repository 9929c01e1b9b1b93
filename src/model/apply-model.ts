import { sql, type Kysely } from 'kysely';
import { withSchemaSession } from '../data/schema-session.js';
import { readCatalog } from './catalog.js';
import type { Model } from './model.js';
import { modelTables, planSchema, type SchemaPlan } from './schema-plan.js';

/** Held while planning and applying, so instances starting together do it in turn. */
const MODEL_LOCK = 4242000002;

/** The database does not fit the model in a way fieldguard will not settle itself. */
export class ModelError extends Error {
  override name = 'ModelError';
  constructor(
    message: string,
    readonly plan: SchemaPlan,
  ) {
    super(message);
  }
}

/** Reads the catalog and plans; runs nothing. */
export async function planModel(db: Kysely<any>, model: Model): Promise<SchemaPlan> {
  return planSchema(model, await readCatalog(db, modelTables(model)));
}

const adoptedProblems = (plan: SchemaPlan) =>
  new ModelError(`Adopted tables do not fit the model:\n  ${plan.problems.map((p) => `${p.resource}: ${p.summary}`).join('\n  ')}`, plan);

/**
 * Runs the model's safe steps in one transaction, planned under a lock from what the
 * database holds at that moment (another instance may just have done the work), with no
 * statement timeout: a step waiting for a busy table's lock must not be cancelled. An
 * adopted table that does not fit stops everything before any step runs. Returns the
 * plan it ran; its drift is left for a person.
 */
export async function applyModel(db: Kysely<any>, model: Model): Promise<SchemaPlan> {
  if (model.resources.size === 0) return { steps: [], drift: [], problems: [] };
  return withSchemaSession(db, (session) =>
    session.transaction().execute(async (trx) => {
      await sql`SET LOCAL statement_timeout = 0`.execute(trx);
      await sql`SELECT pg_advisory_xact_lock(${sql.lit(MODEL_LOCK)})`.execute(trx);
      const plan = await planModel(trx, model);
      if (plan.problems.length > 0) throw adoptedProblems(plan);
      for (const step of plan.steps) await sql.raw(step.sql).execute(trx);
      return plan;
    }),
  );
}

/**
 * For a service that may not change the schema (MIGRATE_ON_START=false, running as the
 * service role): refuses to start while adopted tables do not fit or steps are pending.
 */
export async function checkModel(db: Kysely<any>, model: Model): Promise<SchemaPlan> {
  if (model.resources.size === 0) return { steps: [], drift: [], problems: [] };
  const plan = await withSchemaSession(db, (session) => planModel(session, model));
  if (plan.problems.length > 0) throw adoptedProblems(plan);
  if (plan.steps.length > 0) {
    const steps = plan.steps.map((s) => `${s.resource}: ${s.summary}`).join('\n  ');
    throw new ModelError(`The database lacks what the model declares (run npm run model -- apply as the tables' owner):\n  ${steps}`, plan);
  }
  return plan;
}
