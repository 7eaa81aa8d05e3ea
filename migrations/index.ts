import { Migration20261124024959 } from './Migration20261124024959';
import { Migration20261124044312 } from './Migration20261124044312';
import { Migration20261202173019 } from './Migration20261202173019';
import { Migration20261202183628 } from './Migration20261202183628';
import { Migration20261202213234 } from './Migration20261202213234';
import { Migration20261202215007 } from './Migration20261202215007';
import { Migration20261202215947 } from './Migration20261202215947';

/**
 * Every migration, in order. `npm run migration:create` writes a new file here; add its
 * class to this list (a test fails when a migration file is missing from it).
 */
export const MIGRATIONS = [
  { name: 'Migration20261124024959', class: Migration20261124024959 },
  { name: 'Migration20261124044312', class: Migration20261124044312 },
  { name: 'Migration20261202173019', class: Migration20261202173019 },
  { name: 'Migration20261202183628', class: Migration20261202183628 },
  { name: 'Migration20261202213234', class: Migration20261202213234 },
  { name: 'Migration20261202215007', class: Migration20261202215007 },
  { name: 'Migration20261202215947', class: Migration20261202215947 },
];
