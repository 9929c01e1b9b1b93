import { policyJsonSchema } from '../policy/policy-json-schema.js';

/** `npm run policy:schema > policies/policy.schema.json` regenerates the published schema. */
process.stdout.write(`${JSON.stringify(policyJsonSchema(), null, 2)}\n`);
