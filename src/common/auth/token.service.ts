import { Injectable } from '@nestjs/common';
import { createPublicKey, KeyObject } from 'node:crypto';
import { JWTPayload, jwtVerify, SignJWT } from 'jose';
import { AppConfig } from '../../config/app-config';
import { controlCharacterProblem } from '../http/input-rules';
import { Principal } from './principal';

export class InvalidTokenError extends Error {
  override name = 'InvalidTokenError';
}

const ASYMMETRIC_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'];

/** Verifies bearer tokens (HS256 secret, or a configured public key) and mints development tokens. */
@Injectable()
export class TokenService {
  private readonly secret: Uint8Array;
  private publicKey?: KeyObject;

  constructor(private readonly config: AppConfig) {
    this.secret = new TextEncoder().encode(config.env.JWT_SECRET);
  }

  async verify(token: string): Promise<Principal> {
    let payload: JWTPayload;
    try {
      if (this.config.env.JWT_PUBLIC_KEY) {
        // One key object for every token, whatever algorithm a token claims; jose checks
        // that the token's alg fits the key and the allowed list.
        this.publicKey ??= createPublicKey(this.config.env.JWT_PUBLIC_KEY);
        ({ payload } = await jwtVerify(token, this.publicKey, {
          algorithms: ASYMMETRIC_ALGORITHMS,
          requiredClaims: ['exp', 'sub'],
          ...this.audienceChecks(),
        }));
      } else {
        ({ payload } = await jwtVerify(token, this.secret, {
          algorithms: ['HS256'],
          requiredClaims: ['exp', 'sub'],
          ...this.audienceChecks(),
        }));
      }
    } catch (err) {
      throw new InvalidTokenError(describe(err));
    }
    return toPrincipal(payload);
  }

  private audienceChecks(): { issuer?: string; audience?: string } {
    const { JWT_ISSUER: issuer, JWT_AUDIENCE: audience } = this.config.env;
    return { ...(issuer ? { issuer } : {}), ...(audience ? { audience } : {}) };
  }

  /** Signs an HS256 token (the `npm run token` command and tests). */
  async mint(principal: Principal, ttlSeconds = 24 * 3600): Promise<string> {
    const { issuer, audience } = this.audienceChecks();
    const jwt = new SignJWT({ tenant: principal.tenant ?? undefined, roles: principal.roles })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(principal.sub)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds);
    if (issuer) jwt.setIssuer(issuer);
    if (audience) jwt.setAudience(audience);
    return jwt.sign(this.secret);
  }
}

function toPrincipal(payload: JWTPayload): Principal {
  const roles = payload.roles ?? [];
  if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string')) {
    throw new InvalidTokenError('the roles claim must be a list of strings');
  }
  // The input rule (input-rules.ts): claims are recorded and filtered on like any input.
  const claims: [string, unknown][] = [
    ['sub', payload.sub],
    ['tenant', payload.tenant],
    ...roles.map((r): [string, unknown] => ['roles', r]),
  ];
  for (const [claim, value] of claims) {
    const problem = typeof value === 'string' && controlCharacterProblem(value, 'claim');
    if (problem) throw new InvalidTokenError(`the ${claim} claim ${problem}`);
  }
  const tenant = payload.tenant;
  if (
    tenant !== undefined &&
    (typeof tenant !== 'string' || tenant.length === 0 || tenant.length > 128)
  ) {
    throw new InvalidTokenError('the tenant claim must be a non-empty string');
  }
  if (tenant === undefined && !roles.includes('admin')) {
    throw new InvalidTokenError('the token has no tenant claim');
  }
  return { sub: payload.sub!, tenant: tenant ?? null, roles, expiresAt: payload.exp };
}

function describe(err: unknown): string {
  const code = (err as { code?: string }).code;
  if (code === 'ERR_JWT_EXPIRED') return 'the token has expired';
  if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') return 'the token signature is not valid';
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED')
    return `the token is missing a claim: ${(err as Error).message}`;
  if (code === 'ERR_JOSE_ALG_NOT_ALLOWED') return 'the token algorithm is not accepted';
  return 'the token is malformed';
}
