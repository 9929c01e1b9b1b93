import {
  CompiledQuery,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Driver,
} from 'kysely';

/**
 * Hands every caller the one connection it was given and never closes it: kysely's
 * Migrator asks for a connection and opens its own transaction, which a Kysely already
 * bound to a connection (`db.connection()`) cannot serve without waiting on itself.
 */
class PinnedDriver implements Driver {
  constructor(private readonly connection: DatabaseConnection) {}
  async init() {}
  async acquireConnection() {
    return this.connection;
  }
  async beginTransaction(connection: DatabaseConnection) {
    await connection.executeQuery(CompiledQuery.raw('begin'));
  }
  async commitTransaction(connection: DatabaseConnection) {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }
  async rollbackTransaction(connection: DatabaseConnection) {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }
  async releaseConnection() {}
  async destroy() {}
}

/**
 * Runs schema work (migrations, the model's plan) on one connection of `db` with no
 * statement timeout. The pool's DATABASE_STATEMENT_TIMEOUT_MS is for requests: a
 * migration rewriting a large table, or waiting for the migration lock another instance
 * holds, must not be cancelled half way. RESET returns the connection to the pool's
 * timeout (its start-up value) before it serves a request again.
 */
export async function withSchemaSession<T>(db: Kysely<any>, work: (session: Kysely<any>) => Promise<T>): Promise<T> {
  return db.getExecutor().provideConnection(async (connection) => {
    await connection.executeQuery(CompiledQuery.raw('SET statement_timeout = 0'));
    const reset = () => connection.executeQuery(CompiledQuery.raw('RESET statement_timeout'));
    const session = new Kysely<any>({
      dialect: {
        createAdapter: () => new PostgresAdapter(),
        createDriver: () => new PinnedDriver(connection),
        createIntrospector: (k) => new PostgresIntrospector(k),
        createQueryCompiler: () => new PostgresQueryCompiler(),
      },
    });
    let result: T;
    try {
      result = await work(session);
    } catch (err) {
      // The work's own error is the one to report; a lost connection fails RESET too.
      await reset().catch(() => undefined);
      throw err;
    }
    await reset();
    return result;
  });
}
