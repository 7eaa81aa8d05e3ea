import { createPublicKey } from 'node:crypto';
import type { CoreSettings } from '../../config/core.settings';
import { Doc, Secret, TextVar } from '../../config/settings';

/** Default JWT secret for development; refused when NODE_ENV=production. */
export const DEV_JWT_SECRET = 'jobtrack-development-secret-change-me';

/** Bearer tokens (TokenService). */
export class AuthSettings {
  @Doc(
    'HS256 key for bearer tokens (at least 16 characters). Refused when `NODE_ENV=production` and no other is set.',
  )
  @Secret()
  @TextVar(16)
  JWT_SECRET: string = DEV_JWT_SECRET;

  @Doc(
    'PEM public key (SPKI), checked at start-up. When set, tokens are verified with it (RS256, ES256 or EdDSA, as the key allows) instead of the secret; `npm run token` mints only HS256 tokens, so it is for secret-based setups.',
  )
  @TextVar()
  JWT_PUBLIC_KEY?: string;

  @Doc(
    'When set, every token must carry this `iss` (`npm run token` adds it). Set it, with `JWT_AUDIENCE`, when the key is shared with other services.',
  )
  @TextVar(1)
  JWT_ISSUER?: string;

  @Doc('When set, every token must carry this `aud` (`npm run token` adds it).')
  @TextVar(1)
  JWT_AUDIENCE?: string;

  static check(env: AuthSettings & Pick<CoreSettings, 'NODE_ENV'>): string[] {
    const problems: string[] = [];
    if (env.JWT_PUBLIC_KEY) {
      try {
        createPublicKey(env.JWT_PUBLIC_KEY);
      } catch {
        problems.push('JWT_PUBLIC_KEY: not a PEM public key');
      }
    }
    if (env.NODE_ENV === 'production' && env.JWT_SECRET === DEV_JWT_SECRET && !env.JWT_PUBLIC_KEY) {
      problems.push('JWT_SECRET: the development default is refused when NODE_ENV=production');
    }
    return problems;
  }
}
