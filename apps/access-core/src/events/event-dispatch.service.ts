import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { In } from 'typeorm';
import type { Logger } from '@lanbridge/logging';
import { ROOT_LOGGER } from '../config/config.tokens';
import { AccessEventRepository, AlarmRepository } from '../domain/access-event.repository';
import type { DeviceEntity } from '../domain/device.entity';
import { DeviceRepository } from '../domain/device.repository';
import { DomainEvents } from './domain-events';
import { EventDispatchRepository } from './event-dispatch.repository';

/** Finished events are crossed off together, at most this long after the first of them. */
const DONE_WINDOW_MS = 50;
/** How often events whose follow-up failed (or was cut by a restart) are taken up again. */
const SWEEP_EVERY_MS = 30_000;
/** Follow-up younger than this may still be running in this process; the sweep leaves it. */
const SWEEP_AFTER_MS = 60_000;
const PAGE = 200;

/**
 * Makes the follow-up of a stored event happen even across a crash. The event's row and its
 * `event_dispatch` row are stored by one statement; the follow-up (`event.created` and
 * `alarm.created`: the live stream, notifications, the cloud outbox) runs in memory, and the
 * `event_dispatch` row is deleted once every listener's work is done. At start-up every event
 * still listed is followed up again, marked `recovered` (and later, every SWEEP_EVERY_MS, those
 * whose follow-up failed). The listeners make a second run harmless: stream messages carry a
 * key and are published once, notifications already stored are not stored again, and the
 * cloud takes an item it has seen as accepted without acting twice.
 */
@Injectable()
export class EventDispatchService implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly log: Logger;
  /** Events whose follow-up runs now. */
  private readonly running = new Set<string>();
  private finished: string[] = [];
  private flushing: Promise<void> | undefined;
  private sweeping: Promise<void> | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly repo: EventDispatchRepository,
    private readonly events: AccessEventRepository,
    private readonly alarms: AlarmRepository,
    private readonly devices: DeviceRepository,
    private readonly bus: DomainEvents,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.log = root.child({ component: 'event-dispatch' });
  }

  onApplicationBootstrap(): void {
    // Everything listed now was left by an earlier run of the process.
    this.sweep(new Date());
    this.sweeper = setInterval(() => this.sweep(new Date(Date.now() - SWEEP_AFTER_MS)), SWEEP_EVERY_MS);
    this.sweeper.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.sweeper);
    await this.sweeping;
    await this.flush();
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
  }

  /** `work` is the follow-up of a stored event; once it succeeds the event is crossed off. */
  track(eventId: string, work: Promise<unknown>): void {
    this.running.add(eventId);
    work.then(
      () => {
        this.running.delete(eventId);
        this.finished.push(eventId);
        this.flushing ??= this.flushSoon();
      },
      (err: unknown) => {
        this.running.delete(eventId);
        this.log.warn({ err, eventId }, 'follow-up of a stored event failed; it is taken up again later');
      },
    );
  }

  private async flushSoon(): Promise<void> {
    await new Promise((r) => setTimeout(r, DONE_WINDOW_MS));
    await this.flush();
  }

  private async flush(): Promise<void> {
    while (this.finished.length > 0) {
      const ids = this.finished;
      this.finished = [];
      try {
        await this.repo.done(ids);
      } catch (err) {
        // Still listed: followed up once more after a restart, which the listeners make harmless.
        this.log.warn({ err, count: ids.length }, 'followed-up events not crossed off');
      }
    }
    this.flushing = undefined;
  }

  private sweep(before: Date): void {
    if (this.stopped || this.sweeping) return;
    this.sweeping = this.recover(before)
      .catch((err: unknown) => this.log.error({ err }, 'taking up the follow-up of stored events failed'))
      .finally(() => {
        this.sweeping = undefined;
      });
  }

  /** Follows up again the events listed before `before`, page by page, oldest first. */
  private async recover(before: Date): Promise<void> {
    let total = 0;
    const seen = new Set<string>();
    while (!this.stopped) {
      const ids = (await this.repo.pending(before, PAGE)).filter((id) => !this.running.has(id) && !seen.has(id));
      if (ids.length === 0) break;
      for (const id of ids) seen.add(id);
      const events = await this.events.orm.find({ where: { id: In(ids) }, order: { createdAt: 'ASC', id: 'ASC' } });
      const alarms = new Map((await this.alarms.orm.findBy({ eventId: In(ids) })).map((a) => [a.eventId, a]));
      const deviceIds = [...new Set(events.map((e) => e.deviceId).filter((d): d is string => d !== null))];
      const devices = new Map<string, DeviceEntity>(
        deviceIds.length ? (await this.devices.orm.findBy({ id: In(deviceIds) })).map((d) => [d.id, d]) : [],
      );
      const work: Promise<void>[] = [];
      for (const event of events) {
        const device = event.deviceId ? (devices.get(event.deviceId) ?? null) : null;
        const alarm = alarms.get(event.id);
        const steps = [this.bus.emitAndWait('event.created', { event, device, recovered: true })];
        if (alarm) steps.push(this.bus.emitAndWait('alarm.created', { alarm, event, device, recovered: true }));
        const done = Promise.all(steps).then(() => undefined);
        this.track(event.id, done);
        work.push(done.catch(() => undefined));
      }
      // Listed, but the event is gone (erased): nothing to follow up.
      const missing = ids.filter((id) => !events.some((e) => e.id === id));
      if (missing.length > 0) await this.repo.done(missing);
      await Promise.all(work);
      // Crossed off before the next page is read, or it would list them again.
      await this.flush();
      total += events.length;
      if (ids.length < PAGE) break;
    }
    await this.flush();
    if (total > 0) this.log.warn({ events: total }, 'stored events followed up again after a restart or a failure');
  }
}
