import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/**
 * The policy test file (YAML). `records` names sample records once so cases can say
 * `record: giulia`; a case may also spell its record out inline.
 *
 *   records:
 *     giulia: { id: c-1, fullName: Giulia Marchetti, phone: +39 347 123 4567, ... }
 *   cases:
 *     - name: agent sees the phone masked
 *       principal: { sub: alice, roles: [agent] }   # claims: { specialty: cardiology } when conditions name them
 *       resource: Customer
 *       record: giulia
 *       action: read
 *       expect:
 *         decision: allow
 *         rendered: { id: c-1, fullName: Giulia Marchetti, phone: +39 XXX XXX XXXX }
 *         masked: [phone]
 *         withheld: [address, iban]
 */
const record = z.record(z.string(), z.unknown());

const caseSchema = z
  .object({
    name: z.string().min(1),
    principal: z
      .object({
        sub: z.string().min(1),
        roles: z.array(z.string()),
        /** Token claims the policy's conditions name (`$principal.specialty`). */
        claims: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
      })
      .strict(),
    resource: z.string().min(1),
    record: z.union([z.string().min(1), record]).optional(),
    action: z.string().min(1),
    /** For create/update: the fields being written; each must be writable. */
    fields: z.array(z.string()).optional(),
    expect: z
      .object({
        decision: z.enum(['allow', 'deny']),
        /** For deny: the reason callers would see (a `cannot` rule's reason). */
        reason: z.string().optional(),
        /** For read: the object exactly as rendered (masks applied, withheld fields absent). */
        rendered: record.optional(),
        masked: z.array(z.string()).optional(),
        withheld: z.array(z.string()).optional(),
      })
      .strict(),
  })
  .strict();
export type PolicyTestCase = z.infer<typeof caseSchema> & { record: Record<string, unknown> };

const fileSchema = z
  .object({
    description: z.string().optional(),
    records: z.record(z.string(), record).default({}),
    cases: z.array(caseSchema).min(1),
  })
  .strict();

/** Reads and validates a test file; throws an Error listing every problem. */
export function loadTestCases(file: string): PolicyTestCase[] {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: cannot read the test file: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(parsed.error.issues.map((i) => `${file}: ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n'));
  }
  const { records, cases } = parsed.data;
  const problems: string[] = [];
  const resolved = cases.map((c, i) => {
    if (typeof c.record !== 'string') return { ...c, record: c.record ?? {} };
    const named = records[c.record];
    if (!named) problems.push(`${file}: cases.${i}.record: unknown record "${c.record}" (define it under records)`);
    return { ...c, record: named ?? {} };
  });
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return resolved;
}
