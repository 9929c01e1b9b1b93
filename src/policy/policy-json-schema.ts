import { z } from 'zod';
import { policyDocumentSchema } from './policy-document.js';

/**
 * The published JSON Schema of the policy language (policies/policy.schema.json),
 * generated from the very schema the loader validates with, so the two cannot drift.
 * Editors that understand `# yaml-language-server: $schema=...` use it for completion.
 */
export function policyJsonSchema(): Record<string, unknown> {
  return {
    $id: 'https://fieldguard.dev/schemas/policy.schema.json',
    title: 'fieldguard policy',
    ...z.toJSONSchema(policyDocumentSchema, { io: 'input' }),
  };
}
