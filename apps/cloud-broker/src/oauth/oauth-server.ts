import type { ServerResponse } from 'node:http';
import type { Request, Response } from 'express';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';
import {
  AuthorizationError,
  createServer,
  exchange,
  grant,
  type MiddlewareFunction,
  type MiddlewareRequest,
  type OAuth2Req,
  type OAuth2Server,
  OAuth2Error,
} from 'oauth2orize';
import { Authenticator } from 'passport';
import { BasicStrategy } from 'passport-http';
import { Strategy as ClientPasswordStrategy } from 'passport-oauth2-client-password';
import { Strategy as PassportStrategy } from 'passport-strategy';
import { requestMeta } from '../audit/audit.service';
import { BROKER_CONFIG, BROKER_LOGGER, type BrokerConfig } from '../config/broker.config';
import { DEVICE_CODE_GRANT, DeviceFlowService } from './device-flow.service';
import { type OAuthClient, OAuthClientRegistry } from './oauth-clients';
import { tokenError } from './oauth-error';
import { type IssuedTokens, OAuthTokenService } from './oauth-token.service';

type Next = (err?: unknown) => void;
type ExchangeDone = (err: Error | null, accessToken?: string, refreshToken?: string, params?: object) => void;
type Handler = (req: Request, res: Response, next: Next) => void;
type ErrorHandler = (err: unknown, req: Request, res: Response, next: Next) => void;

interface SignedInUser {
  readonly id: string;
}

/** A response mode of oauth2orize: sends `params` back to the transaction's redirect URI. */
type QueryMode = ((txn: { redirectURI?: string }, res: Response, params: Record<string, string>) => void) & {
  validate(txn: { redirectURI?: string }): void;
};

/** PKCE parameters, merged into oauth2orize's authorization request by a '*' request parser. */
interface PkceReq extends OAuth2Req {
  codeChallenge?: string;
  codeChallengeMethod?: string;
}

const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const CLIENT_STRATEGIES = ['client-basic', 'client-password', 'client-public'];

/** A public client authenticates by `client_id` alone (RFC 6749 §2.3; PKCE or the device flow bind it). */
class PublicClientStrategy extends PassportStrategy {
  name = 'client-public';

  constructor(private readonly registry: OAuthClientRegistry) {
    super();
  }

  override authenticate(req: Request): void {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const id = body.client_id;
    if (typeof id !== 'string' || body.client_secret !== undefined || req.headers.authorization !== undefined) {
      this.fail(401);
      return;
    }
    const client = this.registry.get(id);
    if (client && !client.confidential) this.success(client);
    else this.fail(401);
  }
}

function formDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Runs connect-style handlers in order (error handlers take four parameters), then `done`. */
function runChain(
  req: Request,
  res: Response,
  handlers: readonly (Handler | ErrorHandler)[],
  done: (err?: unknown) => void,
): void {
  let i = 0;
  const next: Next = (err) => {
    const h = handlers[i++];
    if (!h) {
      done(err);
      return;
    }
    try {
      if (err !== undefined && err !== null) {
        if (h.length === 4) (h as ErrorHandler)(err, req, res, next);
        else next(err);
      } else if (h.length === 4) next();
      else (h as Handler)(req, res, next);
    } catch (e) {
      next(e);
    }
  };
  next();
}

function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(json),
    'Cache-Control': 'no-store',
    Pragma: 'no-cache',
    ...extra,
  });
  res.end(json);
}

/**
 * The OAuth2 authorization server: oauth2orize routes the grants, passport authenticates
 * clients; PKCE, rotation, reuse detection, the device grant, revocation and introspection are
 * ours (oauth2orize leaves them out), and every token-endpoint error is sent with the RFC status.
 */
@Injectable()
export class OAuthServer {
  private readonly server: OAuth2Server<OAuthClient, SignedInUser>;
  private readonly passport = new Authenticator();
  private readonly log: Logger;
  readonly issuer: string;

  constructor(
    private readonly clients: OAuthClientRegistry,
    private readonly tokens: OAuthTokenService,
    private readonly devices: DeviceFlowService,
    @Inject(BROKER_CONFIG) config: BrokerConfig,
    @Inject(BROKER_LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'oauth' });
    this.issuer = config.publicUrl;
    this.passport.use(
      'client-basic',
      new BasicStrategy((id, secret, done) =>
        done(null, clients.authenticate(formDecode(id), formDecode(secret)) ?? false),
      ),
    );
    this.passport.use(
      'client-password',
      new ClientPasswordStrategy((id, secret, done) => done(null, clients.authenticate(id, secret) ?? false)),
    );
    this.passport.use('client-public', new PublicClientStrategy(clients));

    // No transaction store: every client is first-party and approved at once, so nothing is stored.
    const refuseStore = {
      store: (_req: unknown, _txn: unknown, cb: (err: Error) => void) =>
        cb(new Error('authorization transactions are not stored')),
      load: (_req: unknown, cb: (err: Error) => void) => cb(new Error('authorization transactions are not stored')),
      update: (_req: unknown, _h: unknown, _txn: unknown, cb: (err: Error) => void) => cb(new Error('not stored')),
      remove: (_req: unknown, _h: unknown, cb: (err: Error) => void) => cb(new Error('not stored')),
    };
    this.server = createServer<OAuthClient, SignedInUser>({ store: refuseStore });
    const withParser = this.server as unknown as { grant(type: string, fn: (req: MiddlewareRequest) => object): void };
    withParser.grant('*', function pkce(req: MiddlewareRequest) {
      const q = (req as unknown as Request).query;
      return { codeChallenge: str(q.code_challenge), codeChallengeMethod: str(q.code_challenge_method) };
    });
    // oauth2orize picks callbacks by arity: keep exactly these parameter lists.
    const codeGrant = (
      grant.code as unknown as (
        options: object,
        issue: (
          client: OAuthClient,
          redirectUri: string,
          user: SignedInUser,
          ares: unknown,
          areq: PkceReq,
          done: (err: Error | null, code?: string) => void,
        ) => void,
        extend: (txn: unknown, cb: (err: Error | null, params?: object) => void) => void,
      ) => MiddlewareFunction<OAuthClient, SignedInUser>
    )(
      // RFC 9207: every authorization response names the issuer, errors included (oauth2orize's
      // `extend` reaches successes only), so a client can tell which server answered.
      { modes: { query: this.queryWithIssuer() } },
      (client, redirectUri, user, _ares, areq, done) => {
        tokens
          .createCode({
            client,
            userId: user.id,
            redirectUri,
            scope: (areq.scope && areq.scope.length > 0 ? areq.scope : client.scopes.slice(0, 1)).join(' '),
            codeChallenge: areq.codeChallenge ?? null,
          })
          .then(
            (code) => done(null, code),
            (err: Error) => done(err),
          );
      },
      (_txn, cb) => cb(null, {}),
    );
    this.server.grant(codeGrant);
    this.server.exchange(
      exchange.code(
        (
          client: OAuthClient,
          code: string,
          redirectUri: string,
          body: Record<string, unknown>,
          issued: ExchangeDone,
        ) => {
          if (!client.grants.includes('authorization_code')) {
            issued(tokenError('unauthorized_client', 'this client may not use the authorization code grant'));
            return;
          }
          tokens.exchangeCode(client, code, redirectUri, body.code_verifier).then(
            (t) => issued(null, t.accessToken, t.refreshToken, this.tokenParams(t)),
            (err: Error) => issued(err),
          );
        },
      ),
    );
    type RefreshIssue = (
      client: OAuthClient,
      refreshToken: string,
      scope: string[] | undefined,
      body: Record<string, unknown>,
      issued: (err: Error | null, at?: string, rt?: string, params?: object) => void,
    ) => void;
    const refreshExchange = exchange.refreshToken as unknown as (
      issue: RefreshIssue,
    ) => MiddlewareFunction<OAuthClient, SignedInUser>;
    this.server.exchange(
      refreshExchange(
        (
          client: OAuthClient,
          refreshToken: string,
          scope: string[] | undefined,
          _body: Record<string, unknown>,
          issued: (err: Error | null, at?: string, rt?: string, params?: object) => void,
        ) => {
          if (!client.grants.includes('refresh_token')) {
            issued(tokenError('unauthorized_client', 'this client may not use refresh tokens'));
            return;
          }
          tokens.refresh(client, refreshToken, scope).then(
            (t) => issued(null, t.accessToken, t.refreshToken, this.tokenParams(t)),
            (err: Error) => issued(err),
          );
        },
      ),
    );
    this.server.exchange(DEVICE_CODE_GRANT, (req, res, next) => {
      const client = req.user as unknown as OAuthClient;
      const deviceCode = str(((req as unknown as Request).body as Record<string, unknown> | undefined)?.device_code);
      if (!client.grants.includes('device_code'))
        return next(tokenError('unauthorized_client', 'this client may not use the device flow'));
      if (!deviceCode) return next(tokenError('invalid_request', 'device_code is required'));
      devices.poll(client, deviceCode).then(
        (r) => sendJson(res, 200, r),
        (err: Error) => next(err),
      );
    });
  }

  /** oauth2orize's `query` response mode, plus `iss` (RFC 9207) on every redirect it sends. */
  private queryWithIssuer(): QueryMode {
    const respond = (txn: { redirectURI?: string }, res: Response, params: Record<string, string>): void => {
      const url = new URL(txn.redirectURI ?? '');
      for (const [k, v] of Object.entries({ ...params, iss: this.issuer })) url.searchParams.set(k, v);
      res.redirect(url.href);
    };
    return Object.assign(respond, {
      validate: (txn: { redirectURI?: string }): void => {
        if (!txn.redirectURI)
          throw new AuthorizationError('Unable to issue redirect for OAuth 2.0 transaction', 'server_error');
      },
    });
  }

  private tokenParams(t: IssuedTokens): object {
    return { expires_in: t.expiresIn, scope: t.scope };
  }

  /** POST /oauth/token */
  token(req: Request, res: Response): Promise<void> {
    return this.run(req, res, [this.clientAuth(), this.server.token() as unknown as Handler, this.tokenErrors()]);
  }

  /** POST /oauth/device_authorization (RFC 8628 §3.1) */
  deviceAuthorization(req: Request, res: Response): Promise<void> {
    const handler: Handler = (rq, rs, next) => {
      const body = (rq.body ?? {}) as Record<string, unknown>;
      this.devices
        .start(
          rq.user as OAuthClient,
          {
            publicKey: body.public_key,
            hostname: body.hostname,
            area: body.area,
            scope: body.scope,
            siteHello: body.site_hello,
          },
          requestMeta(rq),
        )
        .then((r) => sendJson(rs, 200, r), next);
    };
    return this.run(req, res, [this.clientAuth(), handler, this.tokenErrors()]);
  }

  /** POST /oauth/revoke (RFC 7009): 200 whether or not the token was known. */
  revoke(req: Request, res: Response): Promise<void> {
    const handler: Handler = (rq, rs, next) => {
      const token = str((rq.body as Record<string, unknown> | undefined)?.token);
      if (!token) return next(tokenError('invalid_request', 'token is required'));
      this.tokens.revoke(rq.user as OAuthClient, token).then(() => {
        rs.status(200).set('Cache-Control', 'no-store').end();
      }, next);
    };
    return this.run(req, res, [this.clientAuth(), handler, this.tokenErrors()]);
  }

  /** POST /oauth/introspect (RFC 7662): confidential clients only. */
  introspect(req: Request, res: Response): Promise<void> {
    const handler: Handler = (rq, rs, next) => {
      const client = rq.user as OAuthClient;
      if (!client.confidential) return next(tokenError('invalid_client', 'introspection needs a confidential client'));
      const token = str((rq.body as Record<string, unknown> | undefined)?.token);
      if (!token) return next(tokenError('invalid_request', 'token is required'));
      this.tokens.introspect(token).then((r) => sendJson(rs, 200, r), next);
    };
    return this.run(req, res, [this.clientAuth(), handler, this.tokenErrors()]);
  }

  /**
   * GET /oauth/authorize for a signed-in user. Errors that cannot go back to a verified
   * redirect URI come back to the caller (`onError`), which shows them as a page.
   */
  authorize(
    req: Request,
    res: Response,
    user: SignedInUser,
    onError: (err: OAuth2Error | Error) => void,
  ): Promise<void> {
    (req as Request & { user?: SignedInUser }).user = user;
    const validate = (
      areq: PkceReq,
      done: (err: Error | null, client?: OAuthClient | false, redirectUri?: string) => void,
    ): void => {
      const client = this.clients.get(areq.clientID);
      if (!client || !client.grants.includes('authorization_code')) {
        done(
          new AuthorizationError(
            'unknown client or not allowed to use the authorization code flow',
            'unauthorized_client',
          ),
        );
        return;
      }
      // Exact match only (no prefix or wildcard matching), and the parameter is required.
      if (!areq.redirectURI || !client.redirectUris.includes(areq.redirectURI)) {
        done(new AuthorizationError('redirect_uri is missing or not registered for this client', 'invalid_request'));
        return;
      }
      const back = (err: Error): void => done(err, client, areq.redirectURI);
      // Every client, with or without PKCE, gets at most the scopes it is registered for.
      if (areq.scope && !areq.scope.every((s) => client.scopes.includes(s))) {
        return back(new AuthorizationError(`scope must be within: ${client.scopes.join(' ')}`, 'invalid_scope'));
      }
      if (areq.codeChallenge === undefined) {
        if (!client.confidential)
          back(new AuthorizationError('code_challenge is required (PKCE with S256)', 'invalid_request'));
        else done(null, client, areq.redirectURI);
        return;
      }
      if (areq.codeChallengeMethod !== 'S256')
        return back(new AuthorizationError('code_challenge_method must be S256', 'invalid_request'));
      if (!CHALLENGE.test(areq.codeChallenge))
        return back(new AuthorizationError('code_challenge must be 43 base64url characters', 'invalid_request'));
      done(null, client, areq.redirectURI);
    };
    const immediate = (
      _client: OAuthClient,
      _user: SignedInUser,
      done: (err: Error | null, allow: boolean) => void,
    ): void => done(null, true);
    const authorization = (
      this.server.authorization as unknown as (v: typeof validate, i: typeof immediate) => Handler
    )(validate, immediate);
    // An array: a transaction loader (a no-op here) and the handler that redirects with the error.
    const errors = (
      this.server as unknown as { authorizationErrorHandler(): ErrorHandler[] }
    ).authorizationErrorHandler();
    return new Promise((resolve) => {
      res.once('finish', () => resolve());
      res.once('close', () => resolve());
      runChain(req, res, [authorization, ...errors], (err) => {
        onError(err instanceof Error ? err : new Error('authorization request was not answered'));
        resolve();
      });
    });
  }

  /** Authenticates the client with passport: Basic, client_secret_post, or a public client_id. */
  private clientAuth(): Handler {
    return (req, res, next) => {
      const cb = (err: unknown, client: OAuthClient | false | undefined): void => {
        if (err) return next(err);
        if (!client) return next(tokenError('invalid_client', 'client authentication failed'));
        (req as Request & { user?: OAuthClient }).user = client;
        next();
      };
      (this.passport.authenticate(CLIENT_STRATEGIES, { session: false }, cb) as Handler)(req, res, next);
    };
  }

  /** RFC 6749 §5.2: JSON errors, 401 only for invalid_client, otherwise 400 (500 for our own faults). */
  private tokenErrors(): ErrorHandler {
    // Four parameters: runChain (like Express) recognises error handlers by arity.
    return (err, req, res, _next) => {
      if (err instanceof OAuth2Error && err.code !== 'server_error') {
        const status = err.code === 'invalid_client' ? 401 : 400;
        this.log.info(
          { code: err.code, url: req.url, client: (req.user as OAuthClient | undefined)?.id },
          'token endpoint error',
        );
        const extra: Record<string, string> = status === 401 ? { 'WWW-Authenticate': 'Basic realm="lanbridge"' } : {};
        sendJson(res, status, { error: err.code, error_description: err.message }, extra);
        return;
      }
      this.log.error({ err, url: req.url }, 'token endpoint failed');
      sendJson(res, 500, { error: 'server_error', error_description: 'internal error' });
    };
  }

  private run(req: Request, res: Response, handlers: readonly (Handler | ErrorHandler)[]): Promise<void> {
    // Nest presets 201 for POST routes; oauth2orize only sets headers, so success must be 200.
    res.status(200);
    return new Promise((resolve) => {
      res.once('finish', () => resolve());
      res.once('close', () => resolve());
      runChain(req, res, handlers, (err) => {
        if (!res.headersSent) {
          if (err) this.log.error({ err }, 'oauth chain failed');
          sendJson(res, 500, { error: 'server_error', error_description: 'internal error' });
        }
        resolve();
      });
    });
  }
}
