import { Migrator } from '@mikro-orm/migrations';
import { defineConfig, Options } from '@mikro-orm/postgresql';
import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { MIGRATIONS } from '../../migrations';
import { ENTITIES } from '../database/entities';

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
