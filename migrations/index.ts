import { Migration20261124024959 } from './Migration20261124024959';

/**
 * Every migration, in order. `npm run migration:create` writes a new file here; add its
 * class to this list (a test fails when a migration file is missing from it).
 */
export const MIGRATIONS = [{ name: 'Migration20261124024959', class: Migration20261124024959 }];
