import 'reflect-metadata';
import pino from 'pino';
import { parseArgs } from 'node:util';
import { validateEnv } from '../config/env';
import { LegacyImportRefused, runLegacyImport } from '../modules/legacy-import/legacy-import';
import { LEGACY_TABLES, type LegacyTable } from '../modules/legacy-import/legacy-mappers';
import { textReport, writeJsonReport } from '../modules/legacy-import/legacy-report';

const USAGE = `usage: npm run legacy-import -- --source-url postgres://user@host:5432/legacy [--dry-run] [--json]
         [--tables ${LEGACY_TABLES.join(',')}] [--source-schema public] [--batch-size 5000]
The target is DATABASE_URL (the service's database, migrated). See docs/legacy-import.md.
`;

/**
 * The legacy import (docs/legacy-import.md): connects to the two databases and nothing else
 * (no HTTP server, no workers, no Redis). Report on stdout (`--json`: one JSON document);
 * logs on stderr. Exit 0: done; 1: a table failed (it is as it was on both sides) or the
 * tool refused to start; 2: usage.
 */
async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        'source-url': { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        tables: { type: 'string' },
        'source-schema': { type: 'string', default: 'public' },
        'batch-size': { type: 'string', default: '5000' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const tables = values.tables?.split(',').map((t) => t.trim()) as LegacyTable[] | undefined;
  const batchSize = Number(values['batch-size']);
  const bad = tables?.filter((t) => !LEGACY_TABLES.includes(t));
  if (
    !values['source-url'] ||
    !/^postgres(ql)?:\/\//.test(values['source-url']) ||
    bad?.length ||
    !Number.isInteger(batchSize) ||
    batchSize < 1 ||
    batchSize > 50_000
  ) {
    process.stderr.write(`${bad?.length ? `unknown table(s): ${bad.join(', ')}\n` : ''}${USAGE}`);
    return 2;
  }
  const env = validateEnv(process.env);
  const logger = pino(
    {
      level: env.LOG_LEVEL,
      base: { pid: process.pid, service: 'jobtrack', task: 'legacy-import' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ fd: 2, sync: true }),
  );
  // Test hook (docs/legacy-import.md): `task_status:500` throws after 500 rows of task_status.
  const hook = process.env.LEGACY_IMPORT_FAIL_AFTER?.split(':');
  const failAfter = hook ? { table: hook[0] as LegacyTable, rows: Number(hook[1]) } : undefined;
  let result;
  try {
    result = await runLegacyImport({
      sourceUrl: values['source-url'],
      targetUrl: env.DATABASE_URL,
      dryRun: values['dry-run'],
      tables,
      sourceSchema: values['source-schema'],
      batchSize,
      logger,
      failAfter,
    });
  } catch (err) {
    const refused = err instanceof LegacyImportRefused;
    logger.error({ err: { message: (err as Error).message } }, refused ? 'refused' : 'failed');
    process.stderr.write(`legacy-import: ${(err as Error).message}\n`);
    return 1;
  }
  try {
    if (values.json) await writeJsonReport(result.report, process.stdout);
    else process.stdout.write(textReport(result.report));
  } finally {
    result.dispose();
  }
  return result.report.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`legacy-import: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
