import { Migrator } from '@mikro-orm/migrations';
import { defineConfig, Options } from '@mikro-orm/postgresql';
import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { MIGRATIONS } from '../../migrations';
import { ENTITIES } from '../database/entities';
import { TRACKED_JOBS_VIEW } from '../database/tracked-jobs-view';

type EntityClass = Options['entities'] extends (infer E)[] | undefined ? E : never;

/** MikroORM options for a database URL; tests add their own job types' entities. */
export function buildOrmConfig(clientUrl: string, extraEntities: EntityClass[] = []) {
  return defineConfig({
    clientUrl,
    entities: [...ENTITIES, ...extraEntities],
    metadataProvider: ReflectMetadataProvider,
    extensions: [Migrator],
    forceUtcTimezone: true,
    colors: false,
    ignoreUndefinedInQuery: true,
    pool: { min: 0, max: 10 },
    // The tracked_jobs view is written by hand in migrations (it unions every tracking
    // table): schema diffs, and so `migration:create`, must neither drop nor recreate it.
    schemaGenerator: { skipViews: [TRACKED_JOBS_VIEW] },
    migrations: {
      path: './migrations',
      pathTs: './migrations',
      // Migrations are imported, not globbed, so the built app and Jest run the same list.
      migrationsList: MIGRATIONS,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      emit: 'ts',
    },
  });
}
