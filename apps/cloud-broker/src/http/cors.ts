/**
 * Cross-origin access for browser apps (a web build of the mobile app on its own origin).
 * Applied by the broker's request listener to every plain HTTP request, before the ingress or
 * Nest sees it, so the client ingress (`/t/<org>/…`, site responses and the broker's own
 * refusals alike) and the broker's public API (JWKS, QR resolution, push registration) answer
 * the same way. Off unless `CORS_ORIGINS` lists origins.
 *
 * Apps authenticate with bearer tokens, never cookies: no `Access-Control-Allow-Credentials`.
 * WebSocket upgrades are not subject to CORS; the stream authenticates with its subprotocol.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BROKER_ERROR_STATUS, BrokerErrorCode } from '../common/broker-error';
import { sendJsonError } from './raw-response';

export const CORS_ALLOW_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';
export const CORS_ALLOW_HEADERS = 'Authorization, Content-Type, Idempotency-Key, Accept, Accept-Language, X-Request-Id';
export const CORS_EXPOSE_HEADERS = 'Retry-After, WWW-Authenticate, X-Request-Id, Content-Disposition, Location';
/** How long a browser may reuse a preflight answer. */
export const CORS_MAX_AGE_S = 600;

export interface CorsPolicy {
  allows(origin: string): boolean;
}

/**
 * Parses `CORS_ORIGINS`: comma-separated origins (`https://app.example.com`, with a port when
 * not the default) or `*` for any. Returns the problems found, or the policy (undefined = off).
 */
export function parseCorsOrigins(raw: string | undefined): { policy: CorsPolicy | undefined } | { error: string } {
  const entries = (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (entries.length === 0) return { policy: undefined };
  if (entries.includes('*')) return { policy: { allows: () => true } };
  const bad: string[] = [];
  const origins = new Set<string>();
  for (const e of entries) {
    let url: URL | undefined;
    try {
      url = new URL(e);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== e.replace(/\/$/, '')) {
      bad.push(`"${e}"`);
    } else origins.add(url.origin);
  }
  if (bad.length > 0) return { error: `has entries that are not origins (scheme://host[:port]): ${bad.join(', ')}` };
  return { policy: { allows: (origin) => origins.has(origin) } };
}

function isPreflight(req: IncomingMessage): boolean {
  return req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
}

/**
 * CORS for one request. An allowed origin gets `Access-Control-Allow-Origin` on whatever the
 * request is answered with, and its preflight is answered here (204). A preflight from another
 * origin is refused here with 403 `CORS_ORIGIN_NOT_ALLOWED`; its other requests go on without
 * CORS headers, so the browser keeps the answer from the page. Returns true when answered.
 */
export function applyCors(
  policy: CorsPolicy | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  onRefused: (origin: string, req: IncomingMessage) => void,
): boolean {
  if (!policy) return false;
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  if (!policy.allows(origin)) {
    if (!isPreflight(req)) return false;
    onRefused(origin, req);
    sendJsonError(res, BROKER_ERROR_STATUS[BrokerErrorCode.CORS_ORIGIN_NOT_ALLOWED], {
      code: BrokerErrorCode.CORS_ORIGIN_NOT_ALLOWED,
      message: `origin ${origin} may not call this broker from a browser (CORS_ORIGINS)`,
    });
    return true;
  }
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Vary', 'Origin');
  if (isPreflight(req)) {
    res.writeHead(204, {
      'Access-Control-Allow-Methods': CORS_ALLOW_METHODS,
      'Access-Control-Allow-Headers': CORS_ALLOW_HEADERS,
      'Access-Control-Max-Age': String(CORS_MAX_AGE_S),
      'Content-Length': '0',
    });
    res.end();
    req.resume();
    return true;
  }
  res.setHeader('Access-Control-Expose-Headers', CORS_EXPOSE_HEADERS);
  return false;
}

/**
 * Drops the `Access-Control-*` headers of a site's response (flat name/value list) when the
 * broker answers CORS for the request itself: its policy is the one the browser sees.
 */
export function withoutSiteCorsHeaders(headers: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < headers.length; i += 2) {
    if (!headers[i].toLowerCase().startsWith('access-control-')) out.push(headers[i], headers[i + 1]);
  }
  return out;
}
