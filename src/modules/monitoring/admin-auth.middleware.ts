import type { NextFunction, Request, Response } from 'express';
import { timingSafeEqual } from 'node:crypto';
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
      if (
        colon > 0 &&
        same(decoded.slice(0, colon), user) &&
        same(decoded.slice(colon + 1), password)
      )
        return next();
    }
    res.setHeader(
      'WWW-Authenticate',
      user ? 'Basic realm="jobtrack queues", charset="UTF-8"' : 'Bearer',
    );
    problem(res, 401, 'the queue console needs an admin bearer token or the console credentials');
  };
}

function same(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function problem(res: Response, status: number, detail: string): void {
  const title = status === 401 ? 'Unauthorized' : 'Forbidden';
  res
    .status(status)
    .type('application/problem+json')
    .send(JSON.stringify({ type: `https://httpstatuses.io/${status}`, title, status, detail }));
}
