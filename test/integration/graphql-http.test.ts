import { ApolloClient, CombinedGraphQLErrors, HttpLink, InMemoryCache, ServerError, gql } from '@apollo/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenOnLoopback } from '../helpers/http-client.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
let url: string;
beforeAll(async () => {
  t = await startTestApp();
  url = `${await listenOnLoopback(t.app)}/graphql`;
});
afterAll(() => t?.close());

const UNKNOWN_FIELD = '{ customers { nodes { shoeSize } } }';
const post = async (accept: string | undefined, query: string, token?: string) =>
  t.http({
    method: 'POST',
    url: '/graphql',
    headers: { authorization: `Bearer ${token ?? (await t.token('alice', 'agent'))}`, 'content-type': 'application/json', accept },
    payload: { query },
  });

describe('GraphQL over HTTP: status and media type follow the Accept header', () => {
  it('answers a request error with 200 and { errors } to a client that accepts application/json, or sends no Accept', async () => {
    for (const accept of ['application/json', undefined, '*/*']) {
      const res = await post(accept, UNKNOWN_FIELD);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      const body = res.json();
      expect(body).not.toHaveProperty('data');
      expect(body.errors[0]).toMatchObject({ message: expect.stringMatching(/shoeSize/), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    }
  });

  it('answers a request error with 400 as application/graphql-response+json when the client asks for it', async () => {
    const res = await post('application/graphql-response+json, application/json;q=0.9', UNKNOWN_FIELD);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toBe('application/graphql-response+json; charset=utf-8');
    expect(res.json().errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const ok = await post('application/graphql-response+json', '{ customers(first: 1) { nodes { id } } }');
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['content-type']).toBe('application/graphql-response+json; charset=utf-8');
  });

  it('keeps 4xx for requests that are not well-formed GraphQL-over-HTTP, whatever the Accept', async () => {
    const token = await t.token('alice', 'agent');
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' };
    expect((await t.http({ method: 'POST', url: '/graphql', headers, payload: '{"query":' })).statusCode).toBe(400);
    expect((await t.http({ method: 'POST', url: '/graphql', headers, payload: { qeury: '{ __typename }' } })).statusCode).toBe(400);
    const mutationOverGet = await t.http({
      url: `/graphql?query=${encodeURIComponent('mutation { deleteCustomer(id: "x") }')}`,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json', 'x-fieldguard-csrf': '1' },
    });
    expect(mutationOverGet.statusCode).toBe(405);
  });

  it('answers 406 when the client accepts neither JSON media type', async () => {
    const res = await post('text/html', '{ __typename }');
    expect(res.statusCode).toBe(406);
    expect(res.json().errors[0].extensions.code).toBe('NOT_ACCEPTABLE');
  });
});

/** Apollo Client 4 as a frontend uses it, over the socket with Node's fetch. */
const apollo = (token: string, headers: Record<string, string> = {}) =>
  new ApolloClient({ link: new HttpLink({ uri: url, headers: { authorization: `Bearer ${token}`, ...headers } }), cache: new InMemoryCache() });

const queryError = async (client: ApolloClient, query: string) => {
  const error = await client.query({ query: gql(query), fetchPolicy: 'no-cache' }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).not.toBeNull();
  return error;
};
const codesOf = (error: unknown) => (CombinedGraphQLErrors.is(error) ? error.errors.map((e) => e.extensions?.code) : `not GraphQL errors: ${String(error)}`);

describe('Apollo Client sees extensions.code', () => {
  it('for an unknown field, with its default Accept and with application/json only', async () => {
    const token = await t.token('alice', 'agent');
    expect(codesOf(await queryError(apollo(token), UNKNOWN_FIELD))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(codesOf(await queryError(apollo(token, { accept: 'application/json' }), UNKNOWN_FIELD))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('for a refused action (FORBIDDEN) and a refused token (UNAUTHENTICATED, with the reason)', async () => {
    const forbidden = await apollo(await t.token('dora', 'assistant'))
      .mutate({ mutation: gql('mutation { createCustomer(input: { fullName: "X Y" }) { id } }') })
      .then(() => null, (e: unknown) => e);
    expect(codesOf(forbidden)).toEqual(['FORBIDDEN']);

    const expired = await t.idp.sign({ sub: 'alice', roles: ['agent'], expiresIn: Math.floor(Date.now() / 1000) - 120 });
    const refused = await queryError(apollo(expired), '{ customers { nodes { id } } }');
    expect(codesOf(refused)).toEqual(['UNAUTHENTICATED']);
    expect((refused as CombinedGraphQLErrors).errors[0]!.message).toBe('The bearer token is invalid: expired.');
    // Asked for application/json only, a 401 is a transport error the client may not
    // read as GraphQL (a proxy could have sent it): Apollo says so, status included.
    const legacy = await queryError(apollo(expired, { accept: 'application/json' }), '{ customers { nodes { id } } }');
    expect(ServerError.is(legacy) && legacy.statusCode).toBe(401);
  });
});
