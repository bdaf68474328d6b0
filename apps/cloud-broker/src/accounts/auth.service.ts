import type { Request, Response } from 'express';
import { Injectable } from '@nestjs/common';
import { Authenticator } from 'passport';
import { Strategy as BearerStrategy } from 'passport-http-bearer';
import { OAuthTokenService } from '../oauth/oauth-token.service';
import { AccountsError, AccountsErrorCode } from './accounts-error';
import { AccountsService } from './accounts.service';
import { UserRepository } from './user.repository';
import { readCookie, SESSION_COOKIE } from './web-session';

/** Who is calling, from the portal cookie or an OAuth bearer token. */
export interface AuthContext {
  readonly userId: string;
  readonly email: string;
  readonly firstName: string;
  /** Set for cookie sessions. */
  readonly sessionId?: string;
  readonly via: 'session' | 'bearer';
  /** Set for bearer tokens. */
  readonly clientId?: string;
}

interface BearerUser {
  readonly userId: string;
  readonly clientId: string;
}

/** Resolves the caller of a request (session cookie, or `Authorization: Bearer` via passport-http-bearer). */
@Injectable()
export class AuthService {
  private readonly passport = new Authenticator();

  constructor(
    private readonly accounts: AccountsService,
    private readonly users: UserRepository,
    tokens: OAuthTokenService,
  ) {
    this.passport.use(
      'bearer',
      new BearerStrategy((token, done) => {
        tokens.validateAccess(token).then(
          (info) => {
            // Connector tokens (device flow) carry no user API rights.
            if (!info?.userId || info.connectorId !== null || !info.scope.split(' ').includes('api')) done(null, false);
            else done(null, { userId: info.userId, clientId: info.clientId } satisfies BearerUser);
          },
          (err: unknown) => done(err),
        );
      }),
    );
  }

  /** The caller, or undefined. A present but bad bearer token is 401, never a fallback to the cookie. */
  async fromRequest(req: Request, res: Response): Promise<AuthContext | undefined> {
    if (req.headers.authorization !== undefined) {
      const bearer = await this.bearer(req, res);
      if (!bearer)
        throw new AccountsError(AccountsErrorCode.UNAUTHENTICATED, 'access token is invalid, expired or revoked');
      const user = await this.users.findById(bearer.userId);
      if (!user)
        throw new AccountsError(AccountsErrorCode.UNAUTHENTICATED, 'access token is invalid, expired or revoked');
      return {
        userId: user.id,
        email: user.email,
        firstName: user.firstName,
        via: 'bearer',
        clientId: bearer.clientId,
      };
    }
    const cookie = readCookie(req, SESSION_COOKIE);
    if (!cookie) return undefined;
    const s = await this.accounts.resolveSession(cookie);
    if (!s) return undefined;
    return {
      userId: s.user.id,
      email: s.user.email,
      firstName: s.user.firstName,
      sessionId: s.session.id,
      via: 'session',
    };
  }

  private bearer(req: Request, res: Response): Promise<BearerUser | undefined> {
    return new Promise((resolve, reject) => {
      const cb = (err: unknown, user: BearerUser | false | undefined): void => {
        if (err) reject(err instanceof Error ? err : new Error('bearer authentication failed', { cause: err }));
        else resolve(user || undefined);
      };
      const mw = this.passport.authenticate('bearer', { session: false }, cb) as (
        req: Request,
        res: Response,
        next: (err?: unknown) => void,
      ) => void;
      mw(req, res, (err) =>
        err
          ? reject(err instanceof Error ? err : new Error('bearer authentication failed', { cause: err }))
          : resolve(undefined),
      );
    });
  }
}
