/**
 * The legacy import at the size: 1,000,000 task_status + 100,000 etf_updates +
 * 10,000 daily_update_tracking rows (test/utils/legacy-db.ts: the seed's DDL, realistic rows)
 * in a source database, imported into a migrated target: seconds (import, then the JSON
 * report written to /dev/null) and peak RSS of the process, sampled every 20 ms, above its
 * idle value just before. The same at a tenth of the size shows whether memory stays flat.
 * Target: under 60 s, memory flat.
 *
 *   npm run bench:legacy-import [-- scale]      (scale 1 = the size; with the V8
 *   flags the CLI runs with: SERVICE_NODE_FLAGS in scripts/run.sh)
 */
import 'reflect-metadata';
import { MikroORM } from '@mikro-orm/postgresql';
import { createWriteStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { buildOrmConfig } from '../src/config/mikro-orm.config';
import { ensureDatabase, migrateWithLock } from '../src/database/database-bootstrap';
import { runLegacyImport } from '../src/modules/legacy-import/legacy-import';
import { writeJsonReport } from '../src/modules/legacy-import/legacy-report';
import {
  createLegacyDatabase,
  dropDatabase,
  fillLegacy,
  TARGET_ETFS_SQL,
} from '../test/utils/legacy-db';
import { benchEnv, cleanupEnv, machine, runBench } from './bench-env';

const MB = 2 ** 20;

async function once(scale: number): Promise<void> {
  const env = benchEnv();
  const target = env.DATABASE_URL;
  await ensureDatabase(target);
  const orm = await MikroORM.init({ ...buildOrmConfig(target), logger: () => undefined });
  await migrateWithLock(orm, target);
  await orm.close();
  const t = new Client({ connectionString: target });
  await t.connect();
  await t.query(TARGET_ETFS_SQL);
  await t.end();
  const source = await createLegacyDatabase(target);
  const sizes = {
    taskStatus: Math.round(1_000_000 * scale),
    etfUpdates: Math.round(100_000 * scale),
    daily: Math.round(10_000 * scale),
  };
  const db = new Client({ connectionString: source });
  await db.connect();
  const filling = performance.now();
  await fillLegacy(db, sizes);
  await db.query('VACUUM ANALYZE');
  await db.end();
  console.log(
    `source filled in ${((performance.now() - filling) / 1000).toFixed(1)} s: ${JSON.stringify(sizes)}`,
  );
  try {
    global.gc?.();
    await new Promise((r) => setTimeout(r, 300));
    const idle = process.memoryUsage().rss;
    let peak = idle;
    let heap = 0;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peak = Math.max(peak, m.rss);
      heap = Math.max(heap, m.heapUsed);
    }, 20);
    const started = performance.now();
    const { report, dispose } = await runLegacyImport({
      sourceUrl: source,
      targetUrl: target,
    });
    const imported = performance.now();
    await new Promise<void>((resolve, reject) => {
      const out = createWriteStream('/dev/null');
      writeJsonReport(report, out).then(() => out.end(resolve), reject);
    });
    const printed = performance.now();
    clearInterval(sampler);
    dispose();
    const perTable = Object.entries(report.tables)
      .map(
        ([name, r]) =>
          `${name}: read ${r.read}, created ${r.created}, skipped ${r.skipped.count}, already there ${r.alreadyThere.count}, ${r.seconds.toFixed(1)} s, verified ${r.verification?.ok}`,
      )
      .join('\n  ');
    console.log(
      `scale ${scale}: import ${((imported - started) / 1000).toFixed(1)} s + JSON report ${((printed - imported) / 1000).toFixed(1)} s; ` +
        `peak RSS ${(peak / MB).toFixed(0)} MB (${((peak - idle) / MB).toFixed(0)} MB above idle ${(idle / MB).toFixed(0)} MB), peak JS heap used ${(heap / MB).toFixed(0)} MB; ok ${report.ok}\n  ${perTable}`,
    );
  } finally {
    await dropDatabase(source);
    await cleanupEnv(env);
  }
}

async function main(): Promise<void> {
  const scales = process.argv[2] ? [Number(process.argv[2])] : [0.1, 1];
  console.log(`machine: ${machine()}`);
  for (const scale of scales) await once(scale);
}

runBench(main);
