import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AccessCoreRequest } from '../http/request-context';
import type { ClientInfo, Principal } from './principal';

export interface AuthenticatedRequest extends AccessCoreRequest {
  principal?: Principal;
}

/** The principal the AuthGuard attached; only on routes guarded by @Roles. */
export const CurrentUser = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new Error('@CurrentUser() used on a route without @Roles()');
  return principal;
});

export function clientInfoOf(req: AccessCoreRequest): ClientInfo {
  const ua = req.headers['user-agent'];
  return { ip: req.ip, userAgent: typeof ua === 'string' ? ua.slice(0, 512) : undefined };
}

/** Client IP and user agent, for the operation log. */
export const Client = createParamDecorator((_data: unknown, ctx: ExecutionContext): ClientInfo =>
  clientInfoOf(ctx.switchToHttp().getRequest<AccessCoreRequest>()),
);
