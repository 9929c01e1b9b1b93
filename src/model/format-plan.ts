import type { SchemaPlan } from './schema-plan.js';

const comment = (text: string) => text.split('\n').map((line) => `-- ${line}`).join('\n');

/**
 * A plan as a SQL script a person reads: the safe steps as statements, drift as
 * commented-out statements (running the script never drops or narrows anything; a
 * person uncomments what they decided), adopted-table problems as comments.
 */
export function formatPlan(plan: SchemaPlan, { applied = false } = {}): string {
  const out: string[] = [];
  if (plan.steps.length > 0) {
    out.push(`-- ${applied ? 'Applied' : 'Pending'}: ${plan.steps.length} statement(s)${applied ? '' : ' that npm run model -- apply runs in one transaction'}.`);
    for (const step of plan.steps) out.push('', `-- ${step.resource}: ${step.summary}`, `${step.sql};`);
  }
  if (plan.drift.length > 0) {
    if (out.length > 0) out.push('');
    out.push(`-- Drift: ${plan.drift.length} difference(s) fieldguard never settles itself (they could lose data`, '-- or fail on existing rows). Uncomment what you decide to run.');
    for (const item of plan.drift) out.push('', `-- ${item.resource}: ${item.summary}`, comment(`${item.sql};`));
  }
  if (plan.problems.length > 0) {
    if (out.length > 0) out.push('');
    out.push('-- Adopted tables that do not fit the model (the service refuses to start):');
    for (const p of plan.problems) out.push(`--   ${p.resource}: ${p.summary}`);
  }
  if (out.length === 0) out.push('-- Nothing to do: the database matches the model.');
  return `${out.join('\n')}\n`;
}
