import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';
import type { AccessCoreConfig } from '../config/access-core.config';
import { ACCESS_CORE_CONFIG, ROOT_LOGGER } from '../config/config.tokens';
import { SiteSettingRepository } from '../database/site-setting.repository';
import { SettingsService } from '../settings/settings.service';
import type { UplinkStatus } from '../settings/settings.types';
import {
  CloudOutboxRepository,
  type BatchKind,
  type OutboxKind,
  type OutboxRow,
  type RejectedOutboxRow,
} from './cloud-outbox.repository';
import { UplinkClient, UplinkFailure } from './uplink.client';

/** Items per request, per kind. */
export const UPLINK_BATCH_SIZE = 100;
/** Backoff of the whole worker after a failed run: 1 s, doubling, at most 30 s. */
const BACKOFF_MIN_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;
/** When the database cannot say when the next row is due. */
const FALLBACK_POLL_MS = 30_000;
/** site_setting key of the last settings the cloud acknowledged. */
export const SETTINGS_SENT_KEY = 'cloud.uplink.settings-sent';

const BATCH_PATH: { readonly [K in BatchKind]: string } = {
  push: '/v1/notifications',
  device: '/v1/devices',
  'event-log': '/v1/event-logs',
};

/**
 * The id an item carries to the cloud (and is acknowledged with): the event id for event logs,
 * the alarm or notification id for pushes (rows queued by older versions: the row id).
 */
function itemId(row: Pick<OutboxRow, 'id' | 'kind' | 'payload'>): string {
  return (row.kind === 'event-log' || row.kind === 'push') && typeof row.payload.id === 'string'
    ? row.payload.id
    : row.id;
}

function itemIdOf(r: RejectedOutboxRow): string {
  return itemId({ id: r.outboxId, kind: r.kind, payload: r.payload });
}

/** Problems shown per set-aside item, and characters per problem (the cloud's texts are short). */
const MAX_PROBLEMS = 10;
const MAX_PROBLEM_CHARS = 300;

/**
 * The items the cloud refused as malformed (`rejected: [{index, id?, problems}]`), by outbox row
 * id: named by their id when they had one the cloud could read, else by their place in the batch.
 */
function rejectedRows(body: unknown, rows: readonly OutboxRow[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const list = typeof body === 'object' && body !== null ? (body as { rejected?: unknown }).rejected : undefined;
  if (!Array.isArray(list)) return out;
  for (const r of list as unknown[]) {
    if (typeof r !== 'object' || r === null) continue;
    const { index, id, problems } = r as { index?: unknown; id?: unknown; problems?: unknown };
    const row =
      typeof id === 'string' || typeof id === 'number'
        ? rows.find((x) => itemId(x) === String(id))
        : typeof index === 'number'
          ? rows[index]
          : undefined;
    if (!row) continue;
    const texts = Array.isArray(problems)
      ? problems
          .filter((p): p is string => typeof p === 'string')
          .slice(0, MAX_PROBLEMS)
          .map((p) => p.slice(0, MAX_PROBLEM_CHARS))
      : [];
    out.set(row.id, texts.length > 0 ? texts : ['refused by the cloud without a reason']);
  }
  return out;
}

function acceptedIds(body: unknown): Set<string> | undefined {
  const accepted = typeof body === 'object' && body !== null ? (body as { accepted?: unknown }).accepted : undefined;
  if (!Array.isArray(accepted) || !accepted.every((a) => typeof a === 'string')) return undefined;
  return new Set(accepted);
}

/**
 * Delivers `cloud_outbox` rows to CLOUD_UPLINK_URL (docs/mobile-path.md §6): control rows
 * (settings, data-delete) first, one by one in id order, then batches of at most
 * UPLINK_BATCH_SIZE per kind in id order. A row is deleted once the cloud accepted it, and set
 * aside (cloud_outbox_rejected, logged once) when the cloud refused it as malformed; a failed
 * run backs the worker off (1 s → 30 s) and each failed row records its attempt. One worker per
 * process, started on bootstrap, stopped at shutdown; runs never overlap.
 */
@Injectable()
export class UplinkWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger: Logger;
  private readonly client: UplinkClient | undefined;
  private readonly abort = new AbortController();
  private started = false;
  private stopped = false;
  private current: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private retryAt = 0;
  private lastError: string | null = null;

  constructor(
    @Inject(ACCESS_CORE_CONFIG) config: AccessCoreConfig,
    private readonly outbox: CloudOutboxRepository,
    private readonly settings: SettingsService,
    private readonly siteSettings: SiteSettingRepository,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ component: 'uplink' });
    this.client = config.CLOUD_UPLINK_URL ? new UplinkClient(config.CLOUD_UPLINK_URL) : undefined;
  }

  get configured(): boolean {
    return this.client !== undefined;
  }

  onApplicationBootstrap(): void {
    if (!this.client) return;
    this.started = true;
    this.wake();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort.abort();
    await this.current;
  }

  /** Delivers what is due now (or as soon as the backoff allows); a call during a run adds one more run. */
  wake(): void {
    if (!this.started || this.stopped) return;
    if (this.current) {
      this.again = true;
      return;
    }
    const wait = this.retryAt - Date.now();
    if (wait > 0) {
      this.schedule(wait);
      return;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    this.again = false;
    this.current = this.runAndPlan().finally(() => {
      this.current = undefined;
      if (this.again) this.wake();
    });
  }

  async status(): Promise<UplinkStatus> {
    const pending = await this.outbox.count();
    if (!this.client) return { uplink: 'not-configured', pending, lastError: null };
    return { uplink: this.lastError === null ? 'ok' : 'failing', pending, lastError: this.lastError };
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.wake();
    }, ms);
    this.timer.unref();
  }

  private async runAndPlan(): Promise<void> {
    let failure: string | undefined | null;
    try {
      failure = await this.run();
    } catch (err) {
      if (this.stopped) return;
      this.logger.error({ err }, 'uplink run failed');
      failure = err instanceof Error ? err.message : String(err);
    }
    if (this.stopped) return;
    this.settle(failure);
    if (this.again) return;
    const dueIn = await this.outbox.nextDueInMs().catch(() => FALLBACK_POLL_MS);
    if (dueIn !== undefined) this.schedule(Math.max(dueIn, this.retryAt - Date.now(), 0));
  }

  private settle(failure: string | undefined | null): void {
    if (failure === null) return; // nothing was tried
    if (failure === undefined) {
      if (this.lastError !== null) this.logger.info('uplink delivering again');
      this.failures = 0;
      this.retryAt = 0;
      this.lastError = null;
      return;
    }
    this.failures += 1;
    const backoff = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (this.failures - 1));
    this.retryAt = Date.now() + backoff;
    if (failure !== this.lastError) this.logger.warn({ error: failure, retryInMs: backoff }, 'uplink delivery failed');
    this.lastError = failure;
  }

  /** One pass; returns the failure of this run, undefined when everything tried went through, null when blocked. */
  private async run(): Promise<string | undefined | null> {
    const client = this.client;
    if (!client) return null;
    const cloud = await this.settings.cloud();
    const off: OutboxKind[] = [
      ...(cloud.pushToApp ? [] : (['push'] as const)),
      ...(cloud.pushDataToCloud ? [] : (['device', 'event-log'] as const)),
    ];
    if (off.length > 0) await this.outbox.dropKinds(off);
    const expired = await this.outbox.expire();
    if (expired > 0) this.logger.warn({ expired }, 'uplink: undelivered items expired');

    for (const row of await this.outbox.control()) {
      if (!row.due) return null;
      try {
        if (row.kind === 'settings') {
          await client.request('PUT', '/v1/settings', row.payload, this.abort.signal);
          await this.siteSettings.set(SETTINGS_SENT_KEY, { ...row.payload });
        } else {
          await client.request('DELETE', '/v1/data', undefined, this.abort.signal);
        }
      } catch (err) {
        if (!(err instanceof UplinkFailure)) throw err;
        await this.outbox.failed([row.id]);
        return err.message;
      }
      await this.outbox.delete([row.id]);
      this.logger.info({ kind: row.kind }, 'uplink: cloud updated');
    }

    let failure: string | undefined;
    for (const kind of ['push', 'device', 'event-log'] as const) {
      const failed = await this.deliverKind(client, kind);
      failure ??= failed;
    }
    return failure;
  }

  private async deliverKind(client: UplinkClient, kind: BatchKind): Promise<string | undefined> {
    for (;;) {
      const rows = await this.outbox.due(kind, UPLINK_BATCH_SIZE);
      if (rows.length === 0) return undefined;
      const items = rows.map((r) => ({ ...r.payload, id: itemId(r) }));
      let accepted: Set<string> | undefined;
      let rejected: Map<string, string[]>;
      try {
        const answer = await client.request('POST', BATCH_PATH[kind], { items }, this.abort.signal);
        accepted = acceptedIds(answer.body);
        if (!accepted)
          throw new UplinkFailure(`POST ${BATCH_PATH[kind]}: the answer has no accepted list`, answer.status);
        rejected = rejectedRows(answer.body, rows);
      } catch (err) {
        if (!(err instanceof UplinkFailure)) throw err;
        await this.outbox.failed(rows.map((r) => r.id));
        return err.message;
      }
      const done = rows.filter((r) => accepted.has(itemId(r)));
      const unanswered = rows.filter((r) => !accepted.has(itemId(r)) && !rejected.has(r.id));
      await this.outbox.delete(done.map((r) => r.id));
      // Refused as malformed: sending it again would be refused again, so it is kept for an
      // operator (GET /api/v1/uplink/rejected) and the outbox moves on.
      for (const r of await this.outbox.setAside(rejected)) {
        this.logger.warn(
          { kind: r.kind, outboxId: r.outboxId, itemId: itemIdOf(r), problems: r.problems },
          'uplink: item refused by the cloud as malformed; set aside, not sent again',
        );
      }
      if (unanswered.length > 0) {
        await this.outbox.failed(unanswered.map((r) => r.id));
        this.logger.warn({ kind, unanswered: unanswered.length }, 'uplink: items not accepted; retrying later');
      }
      this.logger.debug({ kind, sent: rows.length, accepted: done.length }, 'uplink batch delivered');
      if (rows.length < UPLINK_BATCH_SIZE) return undefined;
    }
  }
}
