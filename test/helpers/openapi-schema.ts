import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { loadOpenApiDocument } from '../../src/rest/docs.plugin.js';

/**
 * A validator for one of openapi.yaml's component schemas, so a test can check that what
 * the service sends is what the contract says. OpenAPI 3.1 schemas are JSON Schema
 * 2020-12; strict mode is off because the document around them carries OpenAPI
 * keywords (`example`, `discriminator`) that are not JSON Schema.
 */
export function contractSchema(name: string) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema(loadOpenApiDocument(), 'openapi.yaml');
  const validate = ajv.compile({ $ref: `openapi.yaml#/components/schemas/${name}` });
  return (value: unknown): string[] =>
    validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}
