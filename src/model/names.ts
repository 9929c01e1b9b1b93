import type { TableName } from './model.js';

/**
 * `fullName` -> `full_name`, `marketingOptOut` -> `marketing_opt_out`, `sha256` -> `sha256`,
 * `taxID` -> `tax_id`: the mapping of kysely's CamelCasePlugin (an underscore before a
 * capital that follows a non-capital, none before digits), so the model's default column
 * and the plugin name today's columns alike.
 */
export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c, at: number) => (at > 0 && !/[A-Z]/.test(name[at - 1]!) ? '_' : '') + c.toLowerCase());
}

/** `crm.clients` -> { schema: crm, name: clients }; a bare name lives in `public`. */
export function parseTableName(text: string): TableName {
  const dot = text.indexOf('.');
  return dot < 0 ? { schema: 'public', name: text } : { schema: text.slice(0, dot), name: text.slice(dot + 1) };
}
