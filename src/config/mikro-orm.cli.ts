import { validateEnv } from './env';
import { buildOrmConfig } from './mikro-orm.config';

/** The MikroORM CLI's configuration (`npm run migration:create`); the app builds its own. */
export default buildOrmConfig(validateEnv(process.env).DATABASE_URL);
