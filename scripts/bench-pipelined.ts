/**
 * npm run bench:pipelined — what a pipelined transaction (src/database/pipelined-transaction.ts)
 * saves against TypeORM's own, on this machine: the same two prepared statements (a read of two
 * rows by id, an update through unnest, the shapes of the inbound batch's first and last), run
 * BENCH_TRANSACTIONS (1,500) times each way in 6 interleaved rounds on the app's data source.
 * Prints, per transaction: round trips, wall time, and CPU of this process and of the database's
 * Postgres backends (/proc/<pid>/stat).
 */
import { getDataSourceToken } from '@nestjs/typeorm';
import { Client } from 'pg';
import { type DataSource, type EntityManager } from 'typeorm';
import { pipelinedTransaction, prepared } from '../src/database';
import { processCpuSeconds } from './bench-meters';
import { benchQueuePrefix, dropBenchState, startBenchApp } from './bench-support';

const TRANSACTIONS = Number(process.env.BENCH_TRANSACTIONS ?? 1500);
const ROUNDS = 6;
const ROWS = 100_000;

type Way = 'typeorm' | 'pipelined';

function batch(tx: EntityManager, i: number, ends: boolean): Promise<unknown> {
  return prepared(
    tx,
    'bench_pipeline_read',
    'SELECT id, status FROM bench_pipeline WHERE id = ANY($1::bigint[])',
    [[i, i + 1]],
  ).then(() =>
    prepared(
      tx,
      'bench_pipeline_mark',
      `UPDATE bench_pipeline b SET status = o.status, note = o.note
         FROM unnest($1::bigint[], $2::varchar[], $3::text[]) AS o(id, status, note)
        WHERE b.id = o.id`,
      [[i], ['processed'], [null]],
      { endsTransaction: ends },
    ),
  );
}

async function backendsCpu(admin: Client, databaseName: string): Promise<number> {
  const { rows } = await admin.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity
      WHERE datname = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
    [databaseName],
  );
  return rows.reduce((sum, { pid }) => sum + processCpuSeconds(pid), 0);
}

async function main(): Promise<void> {
  const databaseName = `bp_bench_pipelined_${process.pid}`;
  const queuePrefix = benchQueuePrefix();
  const bench = await startBenchApp(databaseName, { QUEUE_PREFIX: queuePrefix });
  const admin = new Client({ connectionString: bench.config.databaseUrl });
  try {
    await admin.connect();
    const dataSource = bench.app.get<DataSource>(getDataSourceToken());
    await dataSource.query(
      `CREATE TABLE bench_pipeline (id bigint PRIMARY KEY, status varchar(20), note text)`,
    );
    await dataSource.query(
      `INSERT INTO bench_pipeline SELECT g, 'pending', NULL FROM generate_series(1, $1) g`,
      [ROWS],
    );
    const sent = { count: 0 };
    const query = Client.prototype.query;
    Client.prototype.query = function (this: Client, ...args: unknown[]) {
      if (this !== admin) sent.count += 1;
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query;
    const run: Record<Way, (i: number) => Promise<unknown>> = {
      typeorm: (i) => dataSource.transaction((tx) => batch(tx, i, false)),
      pipelined: (i) => pipelinedTransaction(dataSource, (tx) => batch(tx, i, true)),
    };
    // Warm-up: both ways' statements prepared on the pool's connections, the JIT.
    for (let i = 0; i < 500; i += 1)
      for (const way of Object.keys(run) as Way[]) await run[way](i + 10);
    const totals: Record<Way, { ms: number; app: number; postgres: number; sent: number }> = {
      typeorm: { ms: 0, app: 0, postgres: 0, sent: 0 },
      pipelined: { ms: 0, app: 0, postgres: 0, sent: 0 },
    };
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const way of Object.keys(run) as Way[]) {
        const started = Date.now();
        const app = process.cpuUsage();
        const postgres = await backendsCpu(admin, databaseName);
        const before = sent.count;
        for (let i = 0; i < TRANSACTIONS; i += 1) await run[way]((i % (ROWS - 10)) + 1);
        const used = process.cpuUsage(app);
        totals[way].sent += sent.count - before;
        totals[way].postgres += (await backendsCpu(admin, databaseName)) - postgres;
        totals[way].app += (used.user + used.system) / 1000;
        totals[way].ms += Date.now() - started;
      }
    }
    const n = TRANSACTIONS * ROUNDS;
    console.log(`bench:pipelined: ${n} transactions each way, ${ROUNDS} interleaved rounds`);
    for (const [way, t] of Object.entries(totals))
      console.log(
        `  ${way.padEnd(9)}: round trips ${(t.sent / n).toFixed(2)}, wall ${(t.ms / n).toFixed(3)} ms, ` +
          `CPU app ${(t.app / n).toFixed(3)} + Postgres ${((t.postgres * 1000) / n).toFixed(3)} ms per transaction`,
      );
  } finally {
    await admin.end();
    await bench.app.close();
    await dropBenchState(databaseName, queuePrefix);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
