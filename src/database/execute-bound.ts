import type { EntityManager } from '@mikro-orm/postgresql';
import { CompiledQuery } from 'kysely';

/**
 * One statement with its values bound as pg parameters (`$1`…) on `em`'s transaction.
 * MikroORM's `em.execute` formats every value into the SQL text (escaped character by
 * character), which for thousands of rates costs CPU and memory for nothing.
 */
export async function executeBound<R>(
  em: EntityManager,
  sql: string,
  params: unknown[],
): Promise<R[]> {
  const trx = em.getTransactionContext<{
    executeQuery(query: CompiledQuery): Promise<{ rows: unknown[] }>;
  }>();
  if (!trx) throw new Error('executeBound runs inside a transaction');
  const { rows } = await trx.executeQuery(CompiledQuery.raw(sql, params));
  return rows as R[];
}
