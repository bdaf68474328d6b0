import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';
import type { Principal } from '../auth/principal';
import type { AccessCoreConfig } from '../config/access-core.config';
import { ACCESS_CORE_CONFIG, ROOT_LOGGER } from '../config/config.tokens';
import { DomainEvents } from '../events/domain-events';
import { Clock } from '../system/clock';
import { StreamEventRepository, type Audience, type Receiver, type StreamRow } from './stream-event.repository';

export type { Audience } from './stream-event.repository';

/** One JSON message on the stream; `type` names it (docs/live-stream.md). */
export interface StreamMessage {
  readonly type: string;
  readonly [key: string]: unknown;
}

/** A message published to users: delivered as `{type, id, data}` and stored under that id. */
export interface LiveMessage {
  readonly type: string;
  readonly data: unknown;
  /**
   * What the message is about (`alarm:<id>`), when it must be published once however often it
   * is asked: a message whose key is already stored is neither stored nor delivered again.
   */
  readonly key?: string;
}

export interface StreamClient {
  readonly principal: Principal | undefined;
  /** A live message (with its `id`, absent only when it could not be stored). */
  deliver(message: StreamMessage): void;
}

/** A client a replay writes to; while `replaying`, `deliver` must drop live messages. */
export interface ReplayTarget extends StreamClient {
  replaying: boolean;
  readonly open: boolean;
  /** Sends a replayed message; resolves once the socket has written it. */
  sendReplayed(message: StreamMessage): Promise<void>;
}

export interface ReplayResult {
  /** The id the replay started after. */
  readonly after: string;
  readonly replayed: number;
  /** Some messages after `after` are no longer stored (older than the retention) or `after` is unknown. */
  readonly truncated: boolean;
}

interface PendingPublish {
  readonly audience: Audience;
  readonly message: LiveMessage;
  readonly resolve: (stored: boolean) => void;
}

/** Messages are kept this long for resuming streams. */
export const STREAM_RETENTION_MS = 7 * 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;
const REPLAY_PAGE = 200;
/** Ids drawn from the sequence at a time (a restart leaves the unused ones as a gap). */
const ID_BLOCK = 1024;

/** True when `who` is in `audience` (the SQL twin is StreamEventRepository.page). */
export function audienceMatches(audience: Audience, who: Receiver): boolean {
  if (audience.roles?.includes(who.role)) return true;
  return who.role === 'personnel' && (audience.personIds?.includes(who.subjectId) ?? false);
}

/**
 * The authenticated stream connections and the message log behind them. Every publish takes
 * the next id (drawn ahead from `stream_event`'s sequence, so ids survive restarts and never
 * repeat), is written to `stream_event`, then delivered to the matching clients: what a client
 * received is in the log, so a crash can never leave a message delivered and not stored (a
 * client that resumes after a restart would otherwise be sent the same alarm again under
 * another id). Groups are written and handed out one at a time, so every client sees ids in
 * increasing order; what is published while a group is written goes into the next group (one
 * insert for many messages at busy times). A client that was away replays what it missed
 * (`resume`): the bulk of it up to the newest id handed out, and the last step with publishing
 * held, so no live message can fall between the replayed ones and the live ones, and none
 * arrives twice.
 */
@Injectable()
export class StreamHub implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnModuleDestroy {
  private readonly logger: Logger;
  private readonly clients = new Set<StreamClient>();
  private chain: Promise<void> = Promise.resolve();
  /** Publishes waiting to be stored together (the group not yet taken by its store task). */
  private group: PendingPublish[] | undefined;
  private latest = 0n;
  /** Ids drawn from the sequence and not yet handed out, in increasing order. */
  private spareIds: bigint[] = [];
  /** The block being drawn, while it is. */
  private refilling: Promise<void> | undefined;
  private pruner: NodeJS.Timeout | undefined;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly repo: StreamEventRepository,
    private readonly clock: Clock,
    private readonly bus: DomainEvents,
    @Inject(ACCESS_CORE_CONFIG) private readonly config: AccessCoreConfig,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ component: 'stream-hub' });
  }

  async onModuleInit(): Promise<void> {
    this.latest = BigInt(await this.repo.latestId());
    this.unsubscribe.push(
      this.bus.on('person.erased', ({ personId }) => {
        void this.exclusive(() => this.repo.forgetPerson(personId)).catch((err: unknown) =>
          this.logger.error({ err }, 'erasing stream messages failed'),
        );
      }),
    );
  }

  onApplicationBootstrap(): void {
    void this.prune();
    this.pruner = setInterval(() => void this.prune(), PRUNE_EVERY_MS);
    this.pruner.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.pruner);
    await this.chain;
  }

  onModuleDestroy(): void {
    for (const off of this.unsubscribe.splice(0)) off();
  }

  add(client: StreamClient): void {
    this.clients.add(client);
  }

  remove(client: StreamClient): void {
    this.clients.delete(client);
  }

  /** The id of the newest message published; a client added now receives every later one live. */
  get cursor(): string {
    return this.latest.toString();
  }

  get size(): number {
    return this.clients.size;
  }

  /**
   * Gives the message its id, stores it and sends it to every matching client. Resolves once
   * delivered: true when it is stored (or, with a `key`, was stored before and is skipped);
   * false when the log could not take it, in which case it is still delivered live, without an
   * id. Never rejects. Messages published in the same event-loop turn (or while the previous
   * group is being handed out) are stored by one multi-row insert and delivered in publish order.
   */
  publish(audience: Audience, message: LiveMessage): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      let group = this.group;
      if (!group) {
        const fresh: PendingPublish[] = [];
        group = this.group = fresh;
        void this.chainTask(async () => {
          // Let the rest of this turn's publishes join the group.
          await new Promise<void>((r) => setImmediate(r));
          if (this.group === fresh) this.group = undefined;
          await this.handOut(fresh);
        });
      }
      group.push({ audience, message, resolve });
    });
  }

  private async handOut(group: readonly PendingPublish[]): Promise<void> {
    let ids: bigint[] | undefined;
    let fresh: Set<bigint> | undefined;
    try {
      ids = await this.takeIds(group.length);
      const taken = ids;
      const rows: StreamRow[] = group.map((g, i) => ({
        id: taken[i],
        type: g.message.type,
        audience: g.audience,
        data: g.message.data,
        key: g.message.key ?? null,
      }));
      fresh = await this.repo.insertMany(rows);
    } catch (err) {
      this.logger.error(
        { err, type: group[0]?.message.type, count: group.length },
        'stream messages not stored; delivered live only, a resuming client will not get them',
      );
      ids = undefined;
    }
    // Same tick as the delivery: a client added before it gets the messages live, one added
    // after it sees them covered by the cursor.
    group.forEach(({ audience, message, resolve }, i) => {
      const id = ids?.[i];
      if (id !== undefined && !fresh?.has(id)) {
        resolve(true); // its key was stored before: published already
        return;
      }
      if (id !== undefined) this.latest = id;
      const out: StreamMessage =
        id === undefined
          ? { type: message.type, data: message.data }
          : { type: message.type, id: id.toString(), data: message.data };
      for (const c of this.clients) {
        if (c.principal && audienceMatches(audience, c.principal)) c.deliver(out);
      }
      resolve(id !== undefined);
    });
  }

  /**
   * The next `n` ids. Blocks are drawn from the sequence ahead of need (when half the spare ones
   * are used), so a publish waits for the database only when a burst outruns the prefetch.
   */
  private async takeIds(n: number): Promise<bigint[]> {
    while (this.spareIds.length < n) await this.refillIds(n);
    const ids = this.spareIds.splice(0, n);
    if (this.spareIds.length < ID_BLOCK / 2) void this.refillIds(0).catch(() => undefined);
    return ids;
  }

  /** Draws one more block (at least `n` ids); one draw at a time, callers share it. */
  private refillIds(n: number): Promise<void> {
    this.refilling ??= this.repo
      .reserveIds(Math.max(n, ID_BLOCK))
      .then((ids) => {
        // Blocks come from one sequence one after another: a later block holds higher ids.
        // (A loop, not push(...ids): a block can be larger than the engine's argument limit.)
        for (const id of ids) this.spareIds.push(id);
      })
      .finally(() => {
        this.refilling = undefined;
      });
    return this.refilling;
  }

  /**
   * Replays to `client` every stored message for its user with an id greater than `after`, in
   * order, then switches it to live delivery with nothing missed and nothing sent twice.
   */
  async replay(client: ReplayTarget, after: string): Promise<ReplayResult> {
    const who = client.principal;
    if (!who) throw new Error('replay before authentication');
    const truncated = await this.isTruncated(after);
    client.replaying = true;
    let last = after;
    let replayed = 0;
    const sendPage = async (bulk: boolean): Promise<boolean> => {
      // Outside `exclusive`, only ids handed out so far (every one of them is stored).
      const rows = await this.repo.page(last, who, REPLAY_PAGE, bulk ? this.latest.toString() : undefined);
      let written: Promise<void> = Promise.resolve();
      for (const r of rows) written = client.sendReplayed({ type: r.type, id: r.id, data: r.data });
      if (rows.length > 0) last = rows[rows.length - 1].id;
      replayed += rows.length;
      if (bulk) await written;
      return rows.length === REPLAY_PAGE && client.open;
    };
    try {
      // Bulk of the backlog, publishing continuing meanwhile (this client skips live messages).
      while (await sendPage(true));
      // The tail, with publishing held, then live.
      await this.exclusive(async () => {
        while (await sendPage(false));
        client.replaying = false;
      });
    } finally {
      client.replaying = false;
    }
    return { after, replayed, truncated };
  }

  /** The acknowledged cursor of a session family, if it ever acknowledged one. */
  storedCursor(sessionId: string): Promise<string | undefined> {
    return this.repo.cursor(sessionId);
  }

  /** Records that the session family has processed everything up to `id` (clamped to the newest id). */
  async acknowledge(sessionId: string, id: string): Promise<void> {
    const clamped = BigInt(id) > this.latest ? this.latest : BigInt(id);
    await this.repo.saveCursor(sessionId, clamped.toString());
  }

  private async isTruncated(after: string): Promise<boolean> {
    if (BigInt(after) > this.latest) return true;
    const oldest = await this.repo.oldestId();
    return oldest !== undefined && BigInt(oldest) > BigInt(after) + 1n;
  }

  /**
   * Runs `fn` after every publish queued before it is delivered and stored, holding later
   * publishes until it ends.
   */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    // Publishes from now on form a new group, handed out after `fn`.
    this.group = undefined;
    return this.chainTask(fn);
  }

  private chainTask<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async prune(): Promise<void> {
    const now = this.clock.now().getTime();
    try {
      const removed = await this.repo.prune(new Date(now - STREAM_RETENTION_MS));
      await this.repo.pruneCursors(new Date(now - this.config.AUTH_REFRESH_TOKEN_TTL_DAYS * 86_400_000));
      if (removed > 0) this.logger.info({ removed }, 'old stream messages pruned');
    } catch (err) {
      this.logger.warn({ err }, 'pruning stream messages failed');
    }
  }
}
