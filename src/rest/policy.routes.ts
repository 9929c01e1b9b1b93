import type { FastifyInstance } from 'fastify';
import { replayPolicy } from '../core/policy-replay.service.js';
import { describePolicy, previewAs, reloadPolicy } from '../core/policy.service.js';
import { AppError } from '../errors.js';

// Shapes only: the range is the core's to check, after the right to replay.
const replayQuery = { type: 'object', properties: { days: { type: 'string', maxLength: 4 } }, additionalProperties: false } as const;

/** A candidate policy is sent as it is written: YAML text. */
const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];

/** The policy as a resource: inspect it, preview a record as someone else, reload it, replay a candidate. */
export async function policyRoutes(app: FastifyInstance) {
  app.get('/v1/policy', async (request) => describePolicy(request.guardContext('rest')));
  app.post('/v1/policy/preview', { schema: { body: { type: 'object' } } }, async (request) =>
    previewAs(request.guardContext('rest'), request.body),
  );
  app.post('/v1/policy/reload', async (request) => reloadPolicy(request.guardContext('rest')));
  // Its own scope: YAML is parsed here only, and anything else is refused saying so.
  await app.register(async (yaml) => {
    yaml.removeAllContentTypeParsers();
    yaml.addContentTypeParser(YAML_TYPES, { parseAs: 'string' }, (_request, body, done) => done(null, body));
    yaml.addContentTypeParser('*', (_request, _payload, done) => done(new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the candidate policy as application/yaml.'), undefined));
    yaml.post('/v1/policy/replay', { schema: { querystring: replayQuery } }, async (request) => replayPolicy(request.guardContext('rest'), request.body, request.query));
  });
}
