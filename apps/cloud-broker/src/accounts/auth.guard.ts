import type { Request, Response } from 'express';
import { type CanActivate, createParamDecorator, type ExecutionContext, Injectable } from '@nestjs/common';
import { AccountsError, AccountsErrorCode } from './accounts-error';
import { type AuthContext, AuthService } from './auth.service';
import { WebCookies } from './web-session';

export type { AuthContext } from './auth.service';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

type AuthedRequest = Request & { auth?: AuthContext };

/** Requires a signed-in caller (cookie or bearer); cookie callers also pass the CSRF check on writes. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly auth: AuthService,
    private readonly cookies: WebCookies,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    const res = ctx.switchToHttp().getResponse<Response>();
    const auth = await this.auth.fromRequest(req, res);
    if (!auth) throw new AccountsError(AccountsErrorCode.UNAUTHENTICATED, 'sign in first');
    if (auth.via === 'session' && UNSAFE.has(req.method)) this.cookies.checkCsrf(req);
    req.auth = auth;
    return true;
  }
}

/** The AuthContext that AuthGuard put on the request. */
export const CurrentAuth = createParamDecorator((_data: unknown, ctx: ExecutionContext): AuthContext => {
  const auth = ctx.switchToHttp().getRequest<AuthedRequest>().auth;
  if (!auth) throw new AccountsError(AccountsErrorCode.UNAUTHENTICATED, 'sign in first');
  return auth;
});
