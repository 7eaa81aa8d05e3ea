import type { NextFunction, Request, Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { isAdmin } from '../../common/auth/principal';
import { TokenService } from '../../common/auth/token.service';
import { AppConfig } from '../../config/app-config';

/**
 * Guards Bull Board (pages, static assets and its API alike): an admin bearer token, or
 * the configured basic-auth credentials for a browser. Anything else gets 401 with a
 * Basic challenge, so a browser asks for the credentials.
 */
export function adminAuth(tokens: TokenService, config: AppConfig) {
  const { BULL_BOARD_USER: user, BULL_BOARD_PASSWORD: password } = config.env;
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const header = req.headers.authorization ?? '';
    const bearer = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    if (bearer) {
      const principal = await tokens.verify(bearer).catch(() => undefined);
      if (principal && isAdmin(principal)) return next();
      if (principal) return problem(res, 403, 'the queue console needs the admin role');
    }
    const basic = /^Basic\s+(\S+)$/i.exec(header)?.[1];
    if (basic && user && password) {
      const decoded = Buffer.from(basic, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      // Both fields are always compared, in constant time, so timing tells nothing.
      const userOk = same(decoded.slice(0, Math.max(colon, 0)), user);
      const passwordOk = same(decoded.slice(colon + 1), password);
      if (colon > 0 && userOk && passwordOk) return next();
    }
    res.setHeader(
      'WWW-Authenticate',
      user ? 'Basic realm="jobtrack queues", charset="UTF-8"' : 'Bearer',
    );
    problem(res, 401, 'the queue console needs an admin bearer token or the console credentials');
  };
}

/** Constant-time equality of two strings, whatever their lengths (compares SHA-256 digests). */
export function same(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function problem(res: Response, status: number, detail: string): void {
  const title = status === 401 ? 'Unauthorized' : 'Forbidden';
  res
    .status(status)
    .type('application/problem+json')
    .send(JSON.stringify({ type: `https://httpstatuses.io/${status}`, title, status, detail }));
}
