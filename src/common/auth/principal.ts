/** The authenticated caller, from the bearer token. */
export interface Principal {
  /** Token subject (user or service id). */
  sub: string;
  /** Tenant the caller acts for; null only for admin or service tokens without a tenant. */
  tenant: string | null;
  roles: string[];
  /** When the token stops being valid (seconds since the epoch), if it says. */
  expiresAt?: number;
}

export const ADMIN_ROLE = 'admin';

export function isAdmin(principal: Principal): boolean {
  return principal.roles.includes(ADMIN_ROLE);
}

/** The principal the crons and CLI commands act as. */
export const SYSTEM_PRINCIPAL: Principal = { sub: 'system', tenant: null, roles: [ADMIN_ROLE] };
