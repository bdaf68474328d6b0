import type { Request, Response } from 'express';
import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { AuthService } from '../accounts/auth.service';
import { WebCookies } from '../accounts/web-session';

/** Thrown by the guard; PortalPageFilter answers 303 to the sign-in page. */
export class SignInRequired extends Error {
  constructor(readonly returnTo: string) {
    super('sign in first');
    this.name = 'SignInRequired';
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Portal pages: a signed-in browser session (cookie), else 303 to the sign-in page that comes
 * back here. Writes pass the double-submit CSRF check. Puts the AuthContext on `req.auth`.
 */
@Injectable()
export class PortalPageGuard implements CanActivate {
  constructor(
    private readonly auth: AuthService,
    private readonly cookies: WebCookies,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<Request & { auth?: unknown }>();
    const res = ctx.switchToHttp().getResponse<Response>();
    const auth = req.headers.authorization === undefined ? await this.auth.fromRequest(req, res) : undefined;
    if (!auth) throw new SignInRequired(req.method === 'GET' ? req.originalUrl : '/portal');
    if (UNSAFE.has(req.method)) this.cookies.checkCsrf(req);
    req.auth = auth;
    return true;
  }
}
