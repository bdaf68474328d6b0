import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AccessCoreErrorCode, AccessCoreException } from '../http/access-core.exception';
import type { AuthenticatedRequest } from './current-user.decorator';
import { ROLES_KEY, type Role } from './principal';
import { TokenService } from './token.service';

export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const m = value ? /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(value.trim()) : null;
  return m?.[1];
}

@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = bearerToken(req.headers.authorization);
    if (!token) {
      throw new AccessCoreException(
        AccessCoreErrorCode.UNAUTHENTICATED,
        'an access token (Authorization: Bearer) is required',
      );
    }
    const principal = await this.tokens.authenticate(token);
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [ctx.getHandler(), ctx.getClass()]);
    if (roles && !roles.includes(principal.role)) {
      throw new AccessCoreException(
        AccessCoreErrorCode.FORBIDDEN,
        `this endpoint is for the ${roles.join(' or ')} role`,
      );
    }
    req.principal = principal;
    return true;
  }
}
