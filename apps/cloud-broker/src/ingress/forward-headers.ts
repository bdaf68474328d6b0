/**
 * Header rewriting for the ingress, on Node's flat raw header lists ([name, value, ...]).
 * Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and are dropped, together with
 * every header the Connection header names; X-Forwarded-* and Via are added.
 */

export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Client-sent values of these cannot be trusted; the broker sets them. The two X-Lanbridge-Peer
 * headers pass only between broker nodes (peer-forward.ts) and never reach a site.
 */
const SET_BY_BROKER = new Set([
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-prefix',
  'x-lanbridge-peer',
  'x-lanbridge-peer-client',
]);

export const VIA = '1.1 lanbridge';

/** Lower-cased header names listed in Connection headers, or undefined when there are none. */
export function connectionTokens(raw: readonly string[]): Set<string> | undefined {
  let out: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length !== 10 || raw[i].toLowerCase() !== 'connection') continue;
    for (const token of raw[i + 1].split(',')) {
      const t = token.trim().toLowerCase();
      if (t) (out ??= new Set()).add(t);
    }
  }
  return out;
}

export interface ForwardContext {
  /** The client's address as seen by the broker. */
  readonly clientIp: string | undefined;
  /** Scheme the client used (`http` / `https`). */
  readonly proto: string;
  /** The removed path prefix, `/t/<orgSlug>`. */
  readonly prefix: string;
  /** Keep Upgrade and send `Connection: Upgrade` (WebSocket through the tunnel). */
  readonly upgrade: boolean;
}

/** Request headers as the connector forwards them to the local application. */
export function requestHeadersForTunnel(raw: readonly string[], ctx: ForwardContext): string[] {
  const listed = connectionTokens(raw);
  const out: string[] = [];
  let xff: string | undefined;
  let via: string | undefined;
  let host: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const value = raw[i + 1];
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || listed?.has(lower)) {
      if (ctx.upgrade && lower === 'upgrade') out.push(name, value);
      continue;
    }
    if (lower === 'x-forwarded-for') {
      xff = xff === undefined ? value : `${xff}, ${value}`;
    } else if (lower === 'via') {
      via = via === undefined ? value : `${via}, ${value}`;
    } else if (!SET_BY_BROKER.has(lower)) {
      if (lower === 'host') host = value;
      out.push(name, value);
    }
  }
  if (ctx.upgrade) out.push('Connection', 'Upgrade');
  const ip = ctx.clientIp?.startsWith('::ffff:') ? ctx.clientIp.slice(7) : ctx.clientIp;
  if (ip !== undefined || xff !== undefined) {
    out.push('X-Forwarded-For', xff === undefined ? (ip as string) : ip === undefined ? xff : `${xff}, ${ip}`);
  }
  out.push('X-Forwarded-Proto', ctx.proto);
  if (host !== undefined) out.push('X-Forwarded-Host', host);
  out.push('X-Forwarded-Prefix', ctx.prefix);
  out.push('Via', via === undefined ? VIA : `${via}, ${VIA}`);
  return out;
}

/**
 * Response headers as sent to the client. For a 101 Switching Protocols the application's
 * Connection and Upgrade headers are the point of the response and stay.
 */
export function responseHeadersForClient(raw: readonly string[], switching: boolean): string[] {
  const listed = switching ? undefined : connectionTokens(raw);
  const out: string[] = [];
  let via: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const value = raw[i + 1];
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || listed?.has(lower)) {
      if (switching && (lower === 'upgrade' || lower === 'connection')) out.push(name, value);
      continue;
    }
    if (lower === 'via') via = via === undefined ? value : `${via}, ${value}`;
    else out.push(name, value);
  }
  out.push('Via', via === undefined ? VIA : `${via}, ${VIA}`);
  return out;
}

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export interface IngressTarget {
  readonly orgSlug: string;
  /** Path and query forwarded to the application: `/t/<orgSlug>/<rest>` becomes `/<rest>`. */
  readonly path: string;
  readonly prefix: string;
}

/** Splits `/t/<orgSlug>/<rest>`; undefined when the slug is missing or malformed. */
export function parseIngressUrl(url: string): IngressTarget | undefined {
  let end = 3;
  while (end < url.length) {
    const c = url.charCodeAt(end);
    if (c === 47 /* / */ || c === 63 /* ? */) break;
    end++;
  }
  const orgSlug = url.slice(3, end);
  if (!SLUG.test(orgSlug)) return undefined;
  const rest = url.slice(end);
  return {
    orgSlug,
    path: rest === '' ? '/' : rest.charCodeAt(0) === 63 ? `/${rest}` : rest,
    prefix: `/t/${orgSlug}`,
  };
}
