import type { Redis } from 'ioredis';
import type { Logger } from '@lanbridge/logging';
import { closeRedis } from '../common/redis-close';
import type { ClusterLink, RemoteTunnel } from './tunnel-registry';

export interface TunnelPresenceOptions {
  /** This node's URL as its peers reach it (BROKER_NODE_URL). */
  readonly selfUrl: string;
  /** How long a claim lives without a refresh; a node that dies drops out after this. */
  readonly ttlMs?: number;
  /** How long a lookup is reused before Redis is asked again. */
  readonly lookupCacheMs?: number;
  readonly keyPrefix?: string;
  readonly logger: Logger;
}

/** A tunnel this node holds, as the presence records it. */
export interface ClaimedTunnel {
  readonly connectorId: string;
  readonly orgId: string;
  readonly sessionId: string;
  readonly connectedAt: Date;
}

/** What the nodes tell each other on the Redis channel. */
export interface ClusterEvents {
  /** Another node accepted session `sessionId` of the connector at `connectedAt` (newest session wins). */
  session(connectorId: string, sessionId: string, connectedAt: Date): void;
  /** The connector was revoked on another node. */
  revoke(connectorId: string): void;
}

/** Deletes a connector's record only while it is still this node's (a newer node may own it). */
const DELETE_IF_SAME = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;

/**
 * Which broker nodes hold live tunnels, kept in Redis so that a node without a site's tunnel can
 * forward the request to a node with one (docs/architecture.md, "Several broker nodes").
 *
 * - Per organisation, a sorted set of node URLs scored by the time each claim lapses: a node
 *   claims an organisation when a tunnel of it connects, refreshes its claims every third of the
 *   TTL, withdraws a claim when its last tunnel of that organisation closes, and all of them
 *   when it drains. A node that dies stops refreshing, and its claims lapse.
 * - Per connector, a record of the node and session that hold its tunnel (same lifetime), for
 *   the portal's online status and the QR resolve on any node.
 * - A channel on which nodes announce new sessions (an older session elsewhere is closed) and
 *   revocations (the connector's tunnel is closed wherever it is).
 */
export class TunnelPresence implements ClusterLink {
  private readonly orgs = new Map<string, number>();
  private readonly tunnels = new Map<string, { readonly tunnel: ClaimedTunnel; readonly record: string }>();
  private readonly cache = new Map<string, { readonly nodes: readonly string[]; readonly until: number }>();
  private readonly ttlMs: number;
  private readonly lookupCacheMs: number;
  private readonly prefix: string;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private withdrawn = false;
  private subscriber: Redis | undefined;
  /** Redis trouble is logged once per 10 s per kind, with how many were not logged since. */
  private readonly warned = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly redis: Redis,
    private readonly opts: TunnelPresenceOptions,
  ) {
    this.ttlMs = opts.ttlMs ?? 30_000;
    this.lookupCacheMs = opts.lookupCacheMs ?? 1_000;
    this.prefix = opts.keyPrefix ?? 'lanbridge:';
    this.log = opts.logger.child({ component: 'tunnel-presence' });
  }

  /** Starts refreshing this node's claims. */
  start(): void {
    this.timer ??= setInterval(
      () => void this.write([...this.tunnels.keys()]),
      Math.max(100, Math.floor(this.ttlMs / 3)),
    );
    this.timer.unref();
  }

  /** A tunnel is live on this node: claims its organisation and records its connector. */
  claim(tunnel: ClaimedTunnel): void {
    if (this.withdrawn) return;
    const previous = this.tunnels.get(tunnel.connectorId);
    if (previous) this.forgetLocal(previous.tunnel);
    const record = JSON.stringify({
      node: this.opts.selfUrl,
      sessionId: tunnel.sessionId,
      connectedAt: tunnel.connectedAt.toISOString(),
    });
    this.tunnels.set(tunnel.connectorId, { tunnel, record });
    this.orgs.set(tunnel.orgId, (this.orgs.get(tunnel.orgId) ?? 0) + 1);
    void this.write([tunnel.connectorId]);
    // Newest session wins across nodes: a node holding an older session of it closes that one.
    this.publish({
      t: 'session',
      connectorId: tunnel.connectorId,
      sessionId: tunnel.sessionId,
      connectedAt: tunnel.connectedAt.toISOString(),
    });
  }

  /** The tunnel left this node: withdraws its record, and the organisation's claim if it was the last. */
  release(tunnel: ClaimedTunnel): void {
    const held = this.tunnels.get(tunnel.connectorId);
    if (!held || held.tunnel.sessionId !== tunnel.sessionId) return;
    this.tunnels.delete(tunnel.connectorId);
    const orgGone = this.forgetLocal(tunnel);
    const multi = this.redis.multi();
    multi.eval(DELETE_IF_SAME, 1, this.connectorKey(tunnel.connectorId), held.record);
    if (orgGone) multi.zrem(this.orgKey(tunnel.orgId), this.opts.selfUrl);
    multi.exec().catch((err: unknown) => {
      this.warn('could not withdraw a tunnel claim; it lapses on its own', { err, connectorId: tunnel.connectorId });
    });
  }

  /** Draining: peers stop forwarding here at once; later claims are ignored. */
  async withdrawAll(): Promise<void> {
    this.withdrawn = true;
    this.stopTimer();
    const held = [...this.tunnels.values()];
    const orgs = [...this.orgs.keys()];
    this.tunnels.clear();
    this.orgs.clear();
    if (held.length === 0) return;
    const multi = this.redis.multi();
    for (const orgId of orgs) multi.zrem(this.orgKey(orgId), this.opts.selfUrl);
    for (const h of held) multi.eval(DELETE_IF_SAME, 1, this.connectorKey(h.tunnel.connectorId), h.record);
    try {
      await multi.exec();
    } catch (err) {
      this.log.warn({ err, tunnels: held.length }, 'could not withdraw the tunnel claims; they lapse on their own');
    }
  }

  /**
   * A peer node that holds a live tunnel of `orgId`, or undefined when there is none (or Redis
   * cannot be asked: the request then fails as if the site were offline, and that is logged).
   */
  async find(orgId: string): Promise<string | undefined> {
    const now = Date.now();
    let hit = this.cache.get(orgId);
    if (hit === undefined || hit.until <= now) {
      let nodes: string[];
      try {
        nodes = (await this.redis.zrangebyscore(this.orgKey(orgId), now, '+inf')).filter(
          (n) => n !== this.opts.selfUrl,
        );
      } catch (err) {
        this.warn('tunnel directory lookup failed', { err, orgId });
        return undefined;
      }
      hit = { nodes, until: now + this.lookupCacheMs };
      if (nodes.length > 0) this.cache.set(orgId, hit);
      else this.cache.delete(orgId);
      if (this.cache.size > 10_000) this.cache.clear();
    }
    const { nodes } = hit;
    return nodes.length === 0 ? undefined : nodes[Math.floor(Math.random() * nodes.length)];
  }

  /** A peer failed to answer for `orgId`: ask Redis again next time. */
  forget(orgId: string): void {
    this.cache.delete(orgId);
  }

  async locate(connectorId: string): Promise<RemoteTunnel | undefined> {
    let raw: string | null;
    try {
      raw = await this.redis.get(this.connectorKey(connectorId));
    } catch (err) {
      this.warn('tunnel directory lookup failed', { err, connectorId });
      return undefined;
    }
    if (raw === null) return undefined;
    try {
      const r = JSON.parse(raw) as { node?: unknown; sessionId?: unknown; connectedAt?: unknown };
      if (typeof r.node !== 'string' || typeof r.sessionId !== 'string' || typeof r.connectedAt !== 'string') {
        return undefined;
      }
      if (r.node === this.opts.selfUrl) return undefined;
      return { node: r.node, sessionId: r.sessionId, connectedAt: new Date(r.connectedAt) };
    } catch {
      return undefined;
    }
  }

  revoke(connectorId: string): void {
    this.publish({ t: 'revoke', connectorId });
  }

  /** Listens to what the other nodes announce. */
  async subscribe(events: ClusterEvents): Promise<void> {
    const sub = (this.subscriber ??= this.redis.duplicate());
    sub.on('message', (_channel: string, raw: string) => {
      let m: Record<string, unknown>;
      try {
        m = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        return;
      }
      if (m === null || typeof m !== 'object' || m.node === this.opts.selfUrl || typeof m.connectorId !== 'string') {
        return;
      }
      if (m.t === 'session' && typeof m.sessionId === 'string' && typeof m.connectedAt === 'string') {
        const at = new Date(m.connectedAt);
        if (!Number.isNaN(at.getTime())) events.session(m.connectorId, m.sessionId, at);
      } else if (m.t === 'revoke') events.revoke(m.connectorId);
    });
    await sub.subscribe(this.channel());
  }

  async close(): Promise<void> {
    this.stopTimer();
    await Promise.all([closeRedis(this.redis), closeRedis(this.subscriber)]);
  }

  /** Drops the tunnel from this node's counts; true when it was the organisation's last here. */
  private forgetLocal(tunnel: ClaimedTunnel): boolean {
    const n = (this.orgs.get(tunnel.orgId) ?? 1) - 1;
    if (n > 0) {
      this.orgs.set(tunnel.orgId, n);
      return false;
    }
    this.orgs.delete(tunnel.orgId);
    return true;
  }

  private publish(message: Record<string, string>): void {
    const raw = JSON.stringify({ ...message, node: this.opts.selfUrl });
    this.redis.publish(this.channel(), raw).catch((err: unknown) => {
      this.warn('could not tell the other nodes', { err, event: message.t, connectorId: message.connectorId });
    });
  }

  private warn(message: string, context: Record<string, unknown>): void {
    const now = Date.now();
    const last = this.warned.get(message);
    if (last && now - last.at < 10_000) {
      last.suppressed++;
      return;
    }
    this.warned.set(message, { at: now, suppressed: 0 });
    this.log.warn({ ...context, notLoggedSince: last?.suppressed ?? 0 }, message);
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private orgKey(orgId: string): string {
    return `${this.prefix}tunnel-nodes:${orgId}`;
  }

  private connectorKey(connectorId: string): string {
    return `${this.prefix}tunnel-of:${connectorId}`;
  }

  private channel(): string {
    return `${this.prefix}tunnel-events`;
  }

  private async write(connectorIds: readonly string[]): Promise<void> {
    if (connectorIds.length === 0 || this.withdrawn) return;
    const expires = Date.now() + this.ttlMs;
    const multi = this.redis.multi();
    const orgs = new Set<string>();
    for (const id of connectorIds) {
      const held = this.tunnels.get(id);
      if (!held) continue;
      orgs.add(held.tunnel.orgId);
      multi.set(this.connectorKey(id), held.record, 'PX', this.ttlMs);
    }
    for (const orgId of orgs) {
      const key = this.orgKey(orgId);
      multi.zadd(key, expires, this.opts.selfUrl);
      // Drop claims that lapsed (dead nodes), and the whole key once every node is gone.
      multi.zremrangebyscore(key, '-inf', Date.now());
      multi.pexpire(key, this.ttlMs * 2);
    }
    try {
      await multi.exec();
    } catch (err) {
      this.warn('could not write the tunnel claims; retried at the next refresh', {
        err,
        tunnels: connectorIds.length,
      });
    }
  }
}
