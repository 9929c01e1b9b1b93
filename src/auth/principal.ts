/** Who is calling: taken from a verified token, never from anything the caller merely says. */
export interface Principal {
  sub: string;
  roles: string[];
  /** The token's `jti`, when the identity provider sets one. */
  tokenId: string | null;
}
