const UUID_ANY_CASE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * A record id in the one spelling the service stores and compares: PostgreSQL reads a
 * UUID in any letter case, so `5F0C…` and `5f0c…` name the same customer, and the read
 * budget, the audit row and the feed's filters must see one id, not two. Anything that
 * is not a UUID is returned as given (it matches no record).
 */
export const canonicalId = (id: string): string => (UUID_ANY_CASE.test(id) ? id.toLowerCase() : id);

/** The longest `sub` a token may carry (the verifier refuses longer ones): filters on actors accept as much. */
export const MAX_SUB_LENGTH = 256;
