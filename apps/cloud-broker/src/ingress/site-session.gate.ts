/**
 * The broker-side check of `/t/<org>/…` for organisations with the `site-session` ingress policy
 * (docs/mobile-path.md §3). Called by the ingress before it opens a tunnel stream; `open`
 * organisations never get here.
 *
 * - Public without a session: the sign-in endpoints (rate-limited per organisation and client IP,
 *   and per organisation), the site's JWKS and the privacy policy.
 * - Everything else: a site access token, from `Authorization: Bearer` or, on a WebSocket
 *   upgrade, a `Sec-WebSocket-Protocol` entry `bearer.<token>`, verified with the site key the
 *   broker recorded for the organisation.
 */
import type { IncomingMessage } from 'node:http';
import { AccountsError, AccountsErrorCode } from '../accounts/accounts-error';
import { BrokerErrorCode } from '../common/broker-error';
import type { RateLimitService } from '../rate-limit/rate-limit.service';
import type { SiteTokenCheck } from '../site-trust/site-trust.service';

export type PublicRoute = 'sign-in' | 'public';

/** `METHOD path` (no query) → kind. Exact matches only: anything else needs a token. */
const PUBLIC_ROUTES: ReadonlyMap<string, PublicRoute> = new Map([
  ['POST /api/v1/auth/hello', 'sign-in'],
  ['POST /api/v1/auth/login', 'sign-in'],
  ['POST /api/v1/auth/refresh', 'sign-in'],
  ['GET /.well-known/jwks.json', 'public'],
  ['HEAD /.well-known/jwks.json', 'public'],
  ['GET /api/v1/auth/jwks', 'public'],
  ['HEAD /api/v1/auth/jwks', 'public'],
  ['GET /api/v1/privacy-policy', 'public'],
  ['HEAD /api/v1/privacy-policy', 'public'],
]);

/** What a site-session organisation lets through without a token, if anything. */
export function publicRoute(method: string, path: string): PublicRoute | undefined {
  const q = path.indexOf('?');
  return PUBLIC_ROUTES.get(`${method} ${q === -1 ? path : path.slice(0, q)}`);
}

const TOKEN = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const BEARER = /^Bearer +(\S+) *$/i;
const SUBPROTOCOL_PREFIX = 'bearer.';

/**
 * The bearer token of the request: `Authorization: Bearer <token>`, or on an upgrade the
 * `bearer.<token>` subprotocol. '' when one is sent but is not a compact JWS.
 */
export function bearerToken(req: IncomingMessage, upgrade: boolean): string | undefined {
  if (upgrade) {
    const offered = req.headers['sec-websocket-protocol'];
    if (offered !== undefined) {
      for (const p of offered.split(',')) {
        const t = p.trim();
        if (t.startsWith(SUBPROTOCOL_PREFIX)) {
          const token = t.slice(SUBPROTOCOL_PREFIX.length);
          return TOKEN.test(token) ? token : '';
        }
      }
    }
  }
  const auth = req.headers.authorization;
  if (auth === undefined) return undefined;
  const m = BEARER.exec(auth);
  return m && TOKEN.test(m[1]) ? m[1] : '';
}

/**
 * The client's address: the socket's peer, or with `trustProxyHops` > 0 the X-Forwarded-For
 * entry that many hops back (each trusted proxy appends the address it saw).
 */
export function clientIpOf(req: IncomingMessage, trustProxyHops: number): string {
  const socketIp = req.socket.remoteAddress ?? 'unknown';
  const plain = (ip: string): string => (ip.startsWith('::ffff:') ? ip.slice(7) : ip);
  const header = req.headers['x-forwarded-for'];
  if (trustProxyHops === 0 || header === undefined) return plain(socketIp);
  const xff = Array.isArray(header) ? header.join(',') : header;
  const chain = [
    socketIp,
    ...xff
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .reverse(),
  ];
  return plain(chain[Math.min(trustProxyHops, chain.length - 1)]);
}

export interface SiteSessionGate {
  /** SiteTrustService.verifyForOrg. */
  readonly verify: (orgId: string, token: string) => Promise<SiteTokenCheck>;
  /** Spends one sign-in attempt of (org, client IP) and of the org; seconds to wait when spent. */
  readonly spendSignIn: (orgId: string, clientIp: string) => Promise<number | undefined>;
  readonly trustProxyHops: number;
  /**
   * SiteTrustService.observeHello: sees the body of a site's 200 answer to a client's
   * `POST /api/v1/auth/hello` (a hint that the site behind the tunnel changed its key).
   */
  readonly observeSiteHello?: (orgId: string, body: Buffer) => void;
}

export interface SessionRefusal {
  readonly code: BrokerErrorCode;
  readonly message: string;
  /** Why, for the log line (never the token). */
  readonly reason: string;
  readonly headers: string[];
}

const REALM = 'Bearer realm="lanbridge"';

/** undefined: let the request through; otherwise the answer to send instead of opening a stream. */
export async function checkSiteSession(
  gate: SiteSessionGate,
  req: IncomingMessage,
  orgId: string,
  path: string,
  upgrade: boolean,
  clientIp: string,
): Promise<SessionRefusal | undefined> {
  // No public route is a WebSocket: an upgrade would stream bytes to the site unbounded, so it
  // needs a token like everything else.
  const route = upgrade ? undefined : publicRoute(req.method ?? 'GET', path);
  if (route === 'public') return undefined;
  if (route === 'sign-in') {
    const waitS = await gate.spendSignIn(orgId, clientIp);
    if (waitS === undefined) return undefined;
    return {
      code: BrokerErrorCode.RATE_LIMITED,
      message: `too many sign-in requests; retry in ${waitS} s`,
      reason: 'sign-in-rate',
      headers: ['Retry-After', String(waitS)],
    };
  }
  const token = bearerToken(req, upgrade);
  if (token === undefined) {
    return {
      code: BrokerErrorCode.SESSION_REQUIRED,
      message: 'sign in to the site first: this request needs a site access token',
      reason: 'no-token',
      headers: ['WWW-Authenticate', REALM],
    };
  }
  const check: SiteTokenCheck = token === '' ? { ok: false, reason: 'malformed' } : await gate.verify(orgId, token);
  if (check.ok) return undefined;
  if (check.reason === 'key-unavailable') {
    return {
      code: BrokerErrorCode.SITE_KEY_UNAVAILABLE,
      message: "the site's key is not known yet; retry shortly",
      reason: check.reason,
      headers: ['Retry-After', '5'],
    };
  }
  return {
    code: BrokerErrorCode.SESSION_INVALID,
    message: 'the access token is invalid or expired; refresh it or sign in again',
    reason: check.reason,
    headers: ['WWW-Authenticate', `${REALM}, error="invalid_token"`],
  };
}

/** spendSignIn on the broker's rate limits (Redis when REDIS_URL is set, else this process). */
export function signInLimiter(
  rateLimits: RateLimitService,
  spec: { readonly maxPerIp: number; readonly maxPerOrg: number; readonly windowS: number },
): SiteSessionGate['spendSignIn'] {
  const perIp = rateLimits.limit(
    'site-signin-ip',
    { points: spec.maxPerIp, windowS: spec.windowS },
    'sign-in requests from this address',
  );
  const perOrg = rateLimits.limit(
    'site-signin-org',
    { points: spec.maxPerOrg, windowS: spec.windowS },
    'sign-in requests for this organisation',
  );
  return async (orgId, clientIp) => {
    try {
      await perIp.consume(`${orgId}|${clientIp}`);
      await perOrg.consume(orgId);
      return undefined;
    } catch (err) {
      if (err instanceof AccountsError && err.code === AccountsErrorCode.TOO_MANY_ATTEMPTS) {
        return err.retryAfterS ?? spec.windowS;
      }
      throw err;
    }
  };
}
