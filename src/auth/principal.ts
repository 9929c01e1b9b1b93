/** Who is calling: taken from a verified token, never from anything the caller merely says. */
export interface Principal {
  sub: string;
  roles: string[];
  /** The token's `jti`, when the identity provider sets one. */
  tokenId: string | null;
  /**
   * The token's other string and string-array claims (tenant, department, ...), which
   * policy conditions may name as `$principal.<claim>`.
   */
  claims: Readonly<Record<string, string | readonly string[]>>;
}
