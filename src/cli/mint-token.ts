import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { ConfigService } from '@nestjs/config';
import { TokenService } from '../common/auth/token.service';
import { AppConfig } from '../config/app-config';
import { validateEnv } from '../config/env';

/** Prints a development bearer token: npm run token -- --tenant acme --sub alice [--role admin] [--ttl 3600] */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      tenant: { type: 'string' },
      sub: { type: 'string', default: 'dev-user' },
      role: { type: 'string', multiple: true, default: [] },
      ttl: { type: 'string', default: '86400' },
    },
  });
  const env = validateEnv(process.env);
  const tokens = new TokenService(new AppConfig({ get: () => env } as unknown as ConfigService));
  if (!values.tenant && !values.role.includes('admin')) {
    throw new Error('give --tenant (or --role admin for a token without a tenant)');
  }
  const token = await tokens.mint(
    { sub: values.sub, tenant: values.tenant ?? null, roles: values.role },
    Number(values.ttl),
  );
  process.stdout.write(`${token}\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`mint-token: ${err.message}\n`);
  process.exit(1);
});
