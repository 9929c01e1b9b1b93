import type { BaseLogger } from 'pino';

/** The log methods the core uses; satisfied by pino and by fastify's request logger. */
export type Log = Pick<BaseLogger, 'info' | 'warn' | 'error'>;
