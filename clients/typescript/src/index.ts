export { FieldguardClient, FieldguardError, type CallOptions, type ClientOptions } from './client.js';
export type * from './types.js';
