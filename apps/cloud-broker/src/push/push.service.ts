import { createPublicKey } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';
import { BROKER_CONFIG, BROKER_LOGGER, type BrokerConfig } from '../config/broker.config';
import { PushError, PushErrorCode } from './push-error';
import { resolveEndpoint } from './push-endpoint';
import { PUSH_PROVIDER, type PushProvider } from './push-provider';
import { PUSH_QUEUE, type PushJob, pushJobId, type PushQueue } from './push-queue';
import { type PushSubscriptionRecord, PushSubscriptionRepository } from './push-subscription.repository';
import { pushMessage, type SiteNotification } from './site-notification';
import { VapidKeyService } from './vapid-key.service';

/** A site user, as their verified site access token says: organisation and `role:sub`. */
export interface PushCaller {
  readonly orgId: string;
  readonly subject: string;
}

/** What the client sees of a subscription (never the keys). */
export interface PushSubscriptionView {
  readonly id: string;
  readonly endpoint: string;
  readonly createdAt: string;
}

/** How long an intake record is kept; a site redelivers within minutes of a lost answer. */
const SEEN_RETENTION_MS = 30 * 86_400_000;
const SEEN_PRUNE_EVERY_MS = 3_600_000;

const KNOWN_FIELDS = new Set(['endpoint', 'keys', 'expirationTime']);
const B64URL = /^[A-Za-z0-9_-]+={0,2}$/;

function decodeKey(v: unknown): Buffer | undefined {
  return typeof v === 'string' && v.length <= 200 && B64URL.test(v) ? Buffer.from(v, 'base64url') : undefined;
}

/** The browser's PushSubscription.toJSON(): endpoint and RFC 8291 keys, checked to be usable. */
function parseSubscription(body: unknown): { endpoint: string; p256dh: string; auth: string } {
  const bad = (message: string): PushError => new PushError(PushErrorCode.PUSH_SUBSCRIPTION_INVALID, message);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad('body must be a JSON object');
  const o = body as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !KNOWN_FIELDS.has(k));
  if (unknown.length > 0) throw bad(`unknown fields: ${unknown.join(', ')}`);
  if (typeof o.endpoint !== 'string' || o.endpoint.length === 0) throw bad('endpoint is required');
  const keys = o.keys;
  if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) throw bad('keys {p256dh, auth} are required');
  const k = keys as Record<string, unknown>;
  const extra = Object.keys(k).filter((name) => name !== 'p256dh' && name !== 'auth');
  if (extra.length > 0) throw bad(`unknown fields in keys: ${extra.join(', ')}`);
  const p256dh = decodeKey(k.p256dh);
  if (!p256dh || p256dh.length !== 65 || p256dh[0] !== 0x04) {
    throw bad('keys.p256dh must be base64url of an uncompressed P-256 point');
  }
  try {
    createPublicKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: p256dh.subarray(1, 33).toString('base64url'),
        y: p256dh.subarray(33).toString('base64url'),
      },
      format: 'jwk',
    });
  } catch {
    throw bad('keys.p256dh is not a point on P-256');
  }
  const auth = decodeKey(k.auth);
  if (!auth || auth.length !== 16) throw bad('keys.auth must be base64url of 16 bytes');
  return { endpoint: o.endpoint, p256dh: p256dh.toString('base64url'), auth: auth.toString('base64url') };
}

function view(s: PushSubscriptionRecord): PushSubscriptionView {
  return { id: s.id, endpoint: s.endpoint, createdAt: s.createdAt.toISOString() };
}

/**
 * Background push (docs/mobile-path.md §7): subscriptions of site users, intake of the site's
 * notifications (once per id), one delivery job per matching subscription, and the delivery
 * itself (404/410 from the push service deletes the subscription).
 */
@Injectable()
export class PushService implements OnModuleInit, OnModuleDestroy {
  private readonly log: Logger;
  private pruneTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly repo: PushSubscriptionRepository,
    private readonly vapid: VapidKeyService,
    @Inject(PUSH_QUEUE) private readonly queue: PushQueue,
    @Inject(PUSH_PROVIDER) private readonly provider: PushProvider,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    @Inject(BROKER_LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'push' });
  }

  onModuleInit(): void {
    this.queue.start((job) => this.deliver(job));
    this.pruneTimer = setInterval(() => void this.pruneSeen(), SEEN_PRUNE_EVERY_MS);
    this.pruneTimer.unref();
    this.log.info({ queue: this.queue.kind }, 'push delivery started');
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.pruneTimer);
    await this.queue.close();
  }

  vapidPublicKey(): string {
    return this.vapid.keys().publicKey;
  }

  async subscribe(caller: PushCaller, body: unknown): Promise<PushSubscriptionView> {
    const s = parseSubscription(body);
    // Checked here against the host's addresses now, and again at every send (DNS can change).
    const resolved = await resolveEndpoint(s.endpoint, this.config.push.endpoints);
    if (!resolved.ok) {
      this.log.info({ orgId: caller.orgId, problem: resolved.problem }, 'push endpoint refused');
      throw new PushError(PushErrorCode.PUSH_ENDPOINT_NOT_ALLOWED, resolved.problem);
    }
    const record = await this.repo.upsert(caller.orgId, caller.subject, s.endpoint, { p256dh: s.p256dh, auth: s.auth });
    this.log.info({ orgId: caller.orgId, subscriptionId: record.id }, 'push subscription saved');
    return view(record);
  }

  async list(caller: PushCaller): Promise<PushSubscriptionView[]> {
    return (await this.repo.listFor(caller.orgId, caller.subject)).map(view);
  }

  async unsubscribe(caller: PushCaller, id: string): Promise<void> {
    if (!(await this.repo.deleteFor(caller.orgId, caller.subject, id))) {
      throw new PushError(PushErrorCode.PUSH_SUBSCRIPTION_NOT_FOUND, 'no such subscription of yours');
    }
    this.log.info({ orgId: caller.orgId, subscriptionId: id }, 'push subscription removed');
  }

  /**
   * Takes in the site's notifications: ids seen before are skipped (a redelivery), the others
   * become one job per subscription of a recipient, and are then recorded as seen. Jobs are
   * queued before the record is written, so a crash in between redelivers rather than loses;
   * the job id keeps that redelivery from sending twice.
   */
  async accept(orgId: string, items: readonly SiteNotification[]): Promise<void> {
    const seen = await this.repo.seen(
      orgId,
      items.map((i) => i.id),
    );
    const fresh = new Map<string, SiteNotification>();
    for (const item of items) if (!seen.has(item.id) && !fresh.has(item.id)) fresh.set(item.id, item);
    if (fresh.size === 0) return;
    const subjects = new Set<string>();
    for (const item of fresh.values()) for (const r of item.recipients) subjects.add(r);
    const subscriptions = await this.repo.matching(orgId, [...subjects]);
    const jobs: PushJob[] = [];
    for (const item of fresh.values()) {
      const recipients = new Set(item.recipients);
      const body = pushMessage(orgId, item);
      const urgency = item.notification.type === 'alarm' ? 'high' : 'normal';
      for (const s of subscriptions) {
        if (!recipients.has(s.subject)) continue;
        jobs.push({
          id: pushJobId(orgId, item.id, s.id),
          orgId,
          eventId: item.id,
          subscriptionId: s.id,
          body,
          urgency,
        });
      }
    }
    await this.queue.add(jobs);
    await this.repo.markSeen(orgId, [...fresh.keys()]);
    this.log.debug({ orgId, notifications: fresh.size, jobs: jobs.length }, 'notifications taken in');
  }

  /** One delivery attempt; throws to have the queue try again later. */
  async deliver(job: PushJob): Promise<void> {
    const target = await this.repo.find(job.orgId, job.subscriptionId);
    if (!target) return;
    const result = await this.provider.send(target, { body: job.body, urgency: job.urgency });
    if ('ok' in result) return;
    if ('gone' in result) {
      await this.repo.delete(job.orgId, target.id);
      this.log.info(
        { orgId: job.orgId, subscriptionId: target.id, status: result.status },
        'push subscription gone; deleted',
      );
      return;
    }
    throw new Error(result.reason);
  }

  private async pruneSeen(): Promise<void> {
    try {
      const n = await this.repo.pruneSeen(new Date(Date.now() - SEEN_RETENTION_MS));
      if (n > 0) this.log.debug({ pruned: n }, 'old notification intake records pruned');
    } catch (err) {
      this.log.warn({ err }, 'could not prune notification intake records');
    }
  }
}
