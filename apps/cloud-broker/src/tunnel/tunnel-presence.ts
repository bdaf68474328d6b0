import type { Redis } from 'ioredis';
import type { Logger } from '@lanbridge/logging';

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

/**
 * Which broker nodes hold a live tunnel of an organisation, kept in Redis so that a node
 * without one can forward the request to a node with one (docs/architecture.md, "Several broker
 * nodes").
 *
 * Per organisation, a sorted set of node URLs scored by the time each claim expires. A node
 * claims an organisation when a tunnel of it connects, refreshes its claims every third of the
 * TTL, withdraws a claim when its last tunnel of that organisation closes, and withdraws them
 * all when it starts draining. A node that dies stops refreshing, and its claims lapse.
 */
export class TunnelPresence {
  private readonly claimed = new Set<string>();
  private readonly cache = new Map<string, { readonly nodes: readonly string[]; readonly until: number }>();
  private readonly ttlMs: number;
  private readonly lookupCacheMs: number;
  private readonly prefix: string;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private withdrawn = false;
  private subscriber: Redis | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly opts: TunnelPresenceOptions,
  ) {
    this.ttlMs = opts.ttlMs ?? 30_000;
    this.lookupCacheMs = opts.lookupCacheMs ?? 1_000;
    this.prefix = opts.keyPrefix ?? 'lanbridge:tunnel-nodes:';
    this.log = opts.logger.child({ component: 'tunnel-presence' });
  }

  /** Starts refreshing this node's claims. */
  start(): void {
    this.timer ??= setInterval(() => void this.write([...this.claimed]), Math.max(100, Math.floor(this.ttlMs / 3)));
    this.timer.unref();
  }

  /** A tunnel of `orgId` is live on this node. */
  claim(orgId: string): void {
    if (this.withdrawn) return;
    this.claimed.add(orgId);
    void this.write([orgId]);
  }

  /** This node has no tunnel of `orgId` any more. */
  release(orgId: string): void {
    if (!this.claimed.delete(orgId)) return;
    this.redis.zrem(this.key(orgId), this.opts.selfUrl).catch((err: unknown) => {
      this.log.warn({ err, orgId }, 'could not withdraw a tunnel claim; it lapses on its own');
    });
  }

  /** Draining: peers stop forwarding here at once; later claims are ignored. */
  async withdrawAll(): Promise<void> {
    this.withdrawn = true;
    this.stopTimer();
    const orgs = [...this.claimed];
    this.claimed.clear();
    if (orgs.length === 0) return;
    const multi = this.redis.multi();
    for (const orgId of orgs) multi.zrem(this.key(orgId), this.opts.selfUrl);
    try {
      await multi.exec();
    } catch (err) {
      this.log.warn({ err, orgs: orgs.length }, 'could not withdraw the tunnel claims; they lapse on their own');
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
        nodes = (await this.redis.zrangebyscore(this.key(orgId), now, '+inf')).filter((n) => n !== this.opts.selfUrl);
      } catch (err) {
        this.log.warn({ err, orgId }, 'tunnel directory lookup failed');
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

  /**
   * Newest session wins across nodes: tells every node that `connectorId` now has session
   * `sessionId` here, so a node still holding an older session of it closes that one.
   */
  announce(connectorId: string, sessionId: string): void {
    const message = JSON.stringify({ connectorId, sessionId, node: this.opts.selfUrl });
    this.redis.publish(this.evictChannel(), message).catch((err: unknown) => {
      this.log.warn({ err, connectorId }, 'could not announce a new session to the other nodes');
    });
  }

  /** Calls `handler` for each session another node announced. */
  async onAnnounced(handler: (connectorId: string, sessionId: string) => void): Promise<void> {
    const sub = (this.subscriber ??= this.redis.duplicate());
    sub.on('message', (_channel: string, raw: string) => {
      let m: unknown;
      try {
        m = JSON.parse(raw);
      } catch {
        return;
      }
      const { connectorId, sessionId, node } = (m ?? {}) as Record<string, unknown>;
      if (typeof connectorId !== 'string' || typeof sessionId !== 'string' || node === this.opts.selfUrl) return;
      handler(connectorId, sessionId);
    });
    await sub.subscribe(this.evictChannel());
  }

  /** A peer failed to answer for `orgId`: ask Redis again next time. */
  forget(orgId: string): void {
    this.cache.delete(orgId);
  }

  async close(): Promise<void> {
    this.stopTimer();
    await Promise.all([this.redis.quit().catch(() => undefined), this.subscriber?.quit().catch(() => undefined)]);
  }

  private evictChannel(): string {
    return `${this.prefix}sessions`;
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private key(orgId: string): string {
    return this.prefix + orgId;
  }

  private async write(orgs: readonly string[]): Promise<void> {
    if (orgs.length === 0 || this.withdrawn) return;
    const expires = Date.now() + this.ttlMs;
    const multi = this.redis.multi();
    for (const orgId of orgs) {
      const key = this.key(orgId);
      multi.zadd(key, expires, this.opts.selfUrl);
      // Drop claims that lapsed (dead nodes), and the whole key once every node is gone.
      multi.zremrangebyscore(key, '-inf', Date.now());
      multi.pexpire(key, this.ttlMs * 2);
    }
    try {
      await multi.exec();
    } catch (err) {
      this.log.warn({ err, orgs: orgs.length }, 'could not write the tunnel claims; retried at the next refresh');
    }
  }
}
