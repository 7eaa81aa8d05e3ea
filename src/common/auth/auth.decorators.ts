import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Request } from 'express';
import { Principal } from './principal';

export const IS_PUBLIC = 'jobtrack:public';
export const REQUIRED_ROLES = 'jobtrack:roles';

/** The route needs no token (probes). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** The caller needs every one of these roles (403 otherwise). */
export const Roles = (...roles: string[]) => SetMetadata(REQUIRED_ROLES, roles);

export type AuthenticatedRequest = Request & { principal?: Principal };

/** The authenticated caller of this request. */
export const CurrentPrincipal = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Principal => {
    return ctx.switchToHttp().getRequest<AuthenticatedRequest>().principal!;
  },
);
