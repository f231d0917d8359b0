import { Client } from 'pg';
import { type EntityManager, type QueryRunner } from 'typeorm';
import { pipelinedTransaction, prepared, preparedCarried } from '../../../src/database';
import { startServices, type ServiceContext } from './service-context';

/** A suite's view of its probe table and of what its pool's one connection was sent. */
export interface PipelineProbe {
  /** The suite's services (set once its `beforeAll` ran). */
  readonly s: ServiceContext;
  /** The texts the pool's one connection was sent since the test began, one per round trip. */
  sent(): string[];
  /** Forgets what was sent so far. */
  resetSent(): void;
  /** Inserts a probe row (prepared; `ends` the transaction when asked). */
  insert(tx: EntityManager, id: number, note: string, ends?: boolean): Promise<unknown>;
  /** Renames a probe row, returning its id (prepared; `ends` the transaction when asked). */
  rename(tx: EntityManager, id: number, note: string, ends?: boolean): Promise<unknown>;
  /** `insert`, carried by the transaction's next statement; resolves to its result's promise. */
  carriedInsert(tx: EntityManager, id: number, note: string): Promise<{ result: Promise<unknown> }>;
  /** Connections of this database idle inside a transaction (a pool's, between transactions). */
  idleInTransaction(): Promise<number>;
  /** The rows committed, read on a connection of its own. */
  committed(): Promise<{ id: number; note: string }[]>;
}

/**
 * Sets up a suite of pipelined transactions (src/database/pipelined-transaction.ts) on a pool that
 * has one connection to hand out (as a busy worker's pool hands the same connection on), whose
 * statements are already prepared there, with a probe table (`pipeline_probe`, a deferred unique
 * note) emptied after each test; registers the suite's hooks.
 */
export function usePipelineProbe(): PipelineProbe {
  let s: ServiceContext;
  let session: Client;
  let holder: QueryRunner;
  let sent: string[] = [];

  const probe: PipelineProbe = {
    get s() {
      return s;
    },
    sent: () => sent,
    resetSent: () => {
      sent = [];
    },
    insert: (tx, id, note, ends = false) =>
      prepared(
        tx,
        'pipeline_probe_insert',
        'INSERT INTO pipeline_probe (id, note) VALUES ($1, $2)',
        [id, note],
        { endsTransaction: ends },
      ),
    rename: (tx, id, note, ends = false) =>
      prepared(
        tx,
        'pipeline_probe_rename',
        'UPDATE pipeline_probe SET note = $2 WHERE id = $1 RETURNING id',
        [id, note],
        { endsTransaction: ends },
      ),
    carriedInsert: (tx, id, note) =>
      preparedCarried(
        tx,
        'pipeline_probe_insert',
        'INSERT INTO pipeline_probe (id, note) VALUES ($1, $2)',
        [id, note],
      ),
    idleInTransaction: async () =>
      (
        await session.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
        )
      ).rows[0].n,
    committed: async () =>
      (
        await session.query<{ id: number; note: string }>(
          'SELECT id, note FROM pipeline_probe ORDER BY id',
        )
      ).rows,
  };

  beforeAll(async () => {
    s = await startServices([], { DB_POOL_SIZE: '2' });
    // Holds one of the pool's two connections: every transaction gets the other.
    holder = s.dataSource.createQueryRunner();
    await holder.connect();
    await s.dataSource.query(
      `CREATE TABLE pipeline_probe (id int PRIMARY KEY, note text,
         CONSTRAINT uq_pipeline_probe_note UNIQUE (note) DEFERRABLE INITIALLY DEFERRED)`,
    );
    const runner = s.dataSource.createQueryRunner();
    const client = (await runner.connect()) as Client;
    await runner.release();
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: unknown }).query = (...args: unknown[]) => {
      const [config] = args as [string | { text: string }];
      sent.push(typeof config === 'string' ? config : config.text);
      return query(...args);
    };
    session = new Client({ connectionString: s.config.databaseUrl });
    await session.connect();
    // The statements prepared on the pool's connection, as any statement of a busy worker is.
    await pipelinedTransaction(s.dataSource, async (tx) => {
      await probe.insert(tx, 0, 'warm');
      await probe.rename(tx, 0, 'warm', true);
    });
    await s.dataSource.query('TRUNCATE pipeline_probe');
  });
  beforeEach(() => {
    sent = [];
  });
  afterEach(() => s.dataSource.query('TRUNCATE pipeline_probe'));
  afterAll(async () => {
    await session?.end();
    await holder?.release();
    await s?.close();
  });
  return probe;
}
