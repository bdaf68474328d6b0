/**
 * Forwarding between the broker nodes of one cluster. A node that gets a client request for a
 * site whose tunnel is live on another node (TunnelPresence) sends the request on to that node,
 * unchanged but for its hop-by-hop headers, with two headers of its own:
 *
 * - `X-Lanbridge-Peer`: the cluster's BROKER_PEER_SECRET, which proves the request comes from
 *   a node: the receiving node then skips the site-session check (the first node made it) and
 *   never forwards the request again;
 * - `X-Lanbridge-Peer-Client`: the client's address as the first node saw it, which the
 *   receiving node puts in X-Forwarded-For instead of the first node's address.
 *
 * Neither header ever reaches a site. A request that carries them with a wrong secret is refused
 * with 403 BROKER_PEER_REFUSED.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { isIP } from 'node:net';
import { connectionTokens, HOP_BY_HOP } from './forward-headers';

export const PEER_SECRET_HEADER = 'x-lanbridge-peer';
export const PEER_CLIENT_HEADER = 'x-lanbridge-peer-client';

/** What the ingress needs to forward to peer nodes. */
export interface PeerRouting {
  /** A node holding a live tunnel of the organisation, or undefined. */
  find(orgId: string): Promise<string | undefined>;
  /** That node failed to answer: look it up again next time. */
  forget(orgId: string): void;
  readonly secret: string;
}

/** A request forwarded by a peer node, with the client address that node saw. */
export interface PeerMark {
  readonly clientIp: string | undefined;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * Reads the peer headers: undefined when the request has none (a client's request), a mark when
 * they prove a peer node, 'refused' when they are present but wrong or when this node has no
 * peers. One pass over the raw list, comparing names by length first: this runs on every
 * ingress request.
 */
export function readPeerMark(raw: readonly string[], secret: string | undefined): PeerMark | 'refused' | undefined {
  let given: string | undefined;
  let client: string | undefined;
  let seen = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name.length === 16 && name.toLowerCase() === PEER_SECRET_HEADER) {
      seen = true;
      given = given === undefined ? raw[i + 1] : '';
    } else if (name.length === 23 && name.toLowerCase() === PEER_CLIENT_HEADER) {
      seen = true;
      client = raw[i + 1].trim();
    }
  }
  if (!seen) return undefined;
  if (secret === undefined || given === undefined || !timingSafeEqual(digest(given), digest(secret))) return 'refused';
  return { clientIp: client !== undefined && isIP(client) !== 0 ? client : undefined };
}

/**
 * The client's request headers as sent to a peer node: hop-by-hop headers dropped (kept for an
 * upgrade: Upgrade and `Connection: Upgrade`), the peer headers added, a Host added when the
 * client sent none (HTTP/1.0).
 */
export function peerRequestHeaders(
  raw: readonly string[],
  opts: {
    readonly secret: string;
    readonly clientIp: string | undefined;
    readonly upgrade: boolean;
    readonly host: string;
  },
): string[] {
  const listed = connectionTokens(raw);
  const out: string[] = [];
  let host = false;
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i].toLowerCase();
    if (HOP_BY_HOP.has(lower) || listed?.has(lower)) {
      if (opts.upgrade && lower === 'upgrade') out.push(raw[i], raw[i + 1]);
      continue;
    }
    if (lower === PEER_SECRET_HEADER || lower === PEER_CLIENT_HEADER) continue;
    if (lower === 'host') host = true;
    out.push(raw[i], raw[i + 1]);
  }
  if (!host) out.push('Host', opts.host);
  if (opts.upgrade) out.push('Connection', 'Upgrade');
  out.push('X-Lanbridge-Peer', opts.secret);
  const ip = opts.clientIp?.startsWith('::ffff:') ? opts.clientIp.slice(7) : opts.clientIp;
  if (ip !== undefined) out.push('X-Lanbridge-Peer-Client', ip);
  return out;
}

/** Keep-alive agents for requests to peer nodes (upgrades use a connection of their own). */
export const peerAgents = {
  http: new HttpAgent({ keepAlive: true, maxFreeSockets: 64 }),
  https: new HttpsAgent({ keepAlive: true, maxFreeSockets: 64 }),
};
