import type { Principal } from '../../auth/principal.js';

/**
 * The subject the authoring tools evaluate as. Built in one place so that, when the
 * Principal grows (claims, ...), only this file needs to learn how to fill it in.
 */
export const SAMPLE_SUB = 'policy-cli-you';

export function principalFor(sub: string, roles: string[], claims: Principal['claims'] = {}): Principal {
  return { sub, roles, tokenId: null, claims };
}
