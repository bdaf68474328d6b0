import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { In, IsNull } from 'typeorm';
import type { Logger } from '@lanbridge/logging';
import type { Principal } from '../auth/principal';
import { ROOT_LOGGER } from '../config/config.tokens';
import type { AccessEventEntity } from '../domain/access-event.entity';
import { NotificationEntity } from '../domain/notification.entity';
import { NotificationRepository, type NewNotification } from '../domain/notification.repository';
import { PersonRepository } from '../domain/person.repository';
import { DomainEvents } from '../events/domain-events';
import { EventLookups } from '../events/event-lookups';
import { AccessCoreErrorCode, AccessCoreException } from '../http/access-core.exception';
import { StreamHub } from '../realtime/stream.hub';
import { Clock } from '../system/clock';
import { describe } from './event-presenter';
import { pageWindow, sortOrder, type Page, type PageQueryDto } from './pagination';
import type { NotificationView } from '@lanbridge/mobile-api';
export type { NotificationView } from '@lanbridge/mobile-api';

/** How long a group of events collects more before its notifications are stored. */
const GROUP_WINDOW_MS = 20;

function view(n: NotificationEntity): NotificationView {
  return {
    id: n.id,
    kind: n.kind,
    title: n.title,
    body: n.body,
    eventId: n.eventId,
    read: n.readAt !== null,
    createdAt: n.createdAt.toISOString(),
  };
}

/**
 * Notification center: every event of a person becomes a notification for that person and for
 * each guardian following them, stored and pushed live on the stream.
 */
@Injectable()
export class NotificationsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger: Logger;
  private readonly unsubscribe: (() => void)[] = [];
  /**
   * Events of the same few milliseconds (or that came while the previous group was being
   * stored) are notified together: a few queries and one insert per group, in event order.
   */
  private readonly alarmEvents = new WindowGroups<{ alarmId: string; event: AccessEventEntity; recovered: boolean }>(
    (group) => this.notifyOperators(group),
    (err, group) => this.logger.error({ err, alarmIds: group.map((a) => a.alarmId) }, 'operator notification failed'),
  );
  private readonly personEvents = new WindowGroups<{ event: AccessEventEntity; recovered: boolean }>(
    (group) => this.fanOut(group),
    (err, group) => this.logger.error({ err, eventIds: group.map((e) => e.event.id) }, 'notification fan-out failed'),
  );

  constructor(
    private readonly notifications: NotificationRepository,
    private readonly people: PersonRepository,
    private readonly events: DomainEvents,
    private readonly hub: StreamHub,
    private readonly clock: Clock,
    private readonly lookups: EventLookups,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ component: 'notifications' });
  }

  onModuleInit(): void {
    this.unsubscribe.push(
      // The returned promises settle once the notifications are stored, published and queued
      // for the cloud (EventDispatchService waits for them).
      this.events.on('event.created', ({ event, recovered }) =>
        event.personId ? this.personEvents.add({ event, recovered: recovered === true }) : undefined,
      ),
      this.events.on('alarm.created', ({ alarm, event, recovered }) =>
        this.alarmEvents.add({ alarmId: alarm.id, event, recovered: recovered === true }),
      ),
    );
  }

  onModuleDestroy(): void {
    for (const u of this.unsubscribe.splice(0)) u();
  }

  async list(
    who: Principal,
    q: PageQueryDto & { unread?: boolean },
  ): Promise<Page<NotificationView> & { unread: number }> {
    const { page, pageSize, skip, take } = pageWindow(q);
    const mine =
      who.role === 'personnel' ? { recipientPersonId: who.subjectId } : { recipientOperatorId: who.subjectId };
    const [rows, total] = await this.notifications.orm.findAndCount({
      where: q.unread ? { ...mine, readAt: IsNull() } : mine,
      order: { createdAt: sortOrder(q), id: 'ASC' },
      skip,
      take,
    });
    const unread = await this.notifications.orm.countBy({ ...mine, readAt: IsNull() });
    return { items: rows.map(view), page, pageSize, total, unread };
  }

  async markRead(who: Principal, id: string): Promise<NotificationView> {
    const mine =
      who.role === 'personnel' ? { recipientPersonId: who.subjectId } : { recipientOperatorId: who.subjectId };
    const n = await this.notifications.orm.findOneBy({ id, ...mine });
    if (!n) throw new AccessCoreException(AccessCoreErrorCode.NOT_FOUND, `no notification ${id}`);
    if (!n.readAt) {
      n.readAt = this.clock.now();
      await this.notifications.orm.update({ id }, { readAt: n.readAt });
    }
    return view(n);
  }

  async markAllRead(who: Principal): Promise<{ updated: number }> {
    const mine =
      who.role === 'personnel' ? { recipientPersonId: who.subjectId } : { recipientOperatorId: who.subjectId };
    const res = await this.notifications.orm.update({ ...mine, readAt: IsNull() }, { readAt: this.clock.now() });
    return { updated: res.affected ?? 0 };
  }

  /**
   * Notifications of `kind` already stored for the recovered events of a group (their
   * follow-up was cut by a restart after they were stored), by event id.
   */
  private async storedFor(
    kind: 'alarm' | 'event',
    group: readonly { event: AccessEventEntity; recovered: boolean }[],
  ): Promise<Map<string, NotificationEntity[]>> {
    const ids = group.filter((g) => g.recovered).map((g) => g.event.id);
    const out = new Map<string, NotificationEntity[]>();
    if (ids.length === 0) return out;
    for (const n of await this.notifications.orm.find({ where: { kind, eventId: In(ids) }, order: { id: 'ASC' } })) {
      if (n.eventId) out.set(n.eventId, [...(out.get(n.eventId) ?? []), n]);
    }
    return out;
  }

  // Administrators see alarms live on the stream; the stored copy fills their notification center.
  private async notifyOperators(
    alarms: readonly { alarmId: string; event: AccessEventEntity; recovered: boolean }[],
  ): Promise<void> {
    const operators = await this.lookups.activeOperators();
    if (operators.length === 0) return;
    const ctx = await this.lookups.contexts(alarms.map((a) => a.event));
    const stored = await this.storedFor('alarm', alarms);
    const items: {
      alarmId: string;
      event: AccessEventEntity;
      title: string;
      body: string;
      /** Stored before (a recovered event): these notifications, to the cloud only. */
      before: NotificationEntity[] | undefined;
      rows: NewNotification[];
    }[] = [];
    for (const { alarmId, event } of alarms) {
      const c = ctx.get(event.id);
      if (!c) continue;
      const title = `${event.level === 'alarm' ? 'Alarm' : 'Exception'}: ${event.name}`;
      const body = `${describe(event, c)} at ${event.time.toISOString()} (alarm ${alarmId})`;
      const before = stored.get(event.id);
      const rows = before
        ? []
        : operators.map((o) => ({
            id: randomUUID(),
            recipientOperatorId: o.id,
            kind: 'alarm',
            eventId: event.id,
            title,
            body,
          }));
      items.push({ alarmId, event, title, body, before, rows });
    }
    const createdAt = await this.notifications.insertMany(items.flatMap((i) => i.rows));
    const queued: Promise<void>[] = [];
    for (const { alarmId, event, title, body, before, rows } of items) {
      const ids = before ? before.map((n) => n.id) : rows.map((r) => r.id);
      if (ids.length === 0) continue;
      queued.push(
        this.events.emitAndWait('notification.created', {
          kind: 'alarm',
          title,
          body,
          eventId: event.id,
          alarmId,
          notificationIds: ids,
          operatorIds: before
            ? before.flatMap((n) => (n.recipientOperatorId ? [n.recipientOperatorId] : []))
            : operators.map((o) => o.id),
          personIds: [],
          createdAt: before ? before[0].createdAt : (createdAt.get(ids[0]) ?? this.clock.now()),
          recovered: before !== undefined,
        }),
      );
    }
    await Promise.all(queued);
  }

  private async fanOut(group: readonly { event: AccessEventEntity; recovered: boolean }[]): Promise<void> {
    const stored = await this.storedFor('event', group);
    const events = group.map((g) => g.event).filter((e) => !stored.has(e.id));
    const subjects = [...new Set(events.map((e) => e.personId).filter((id): id is string => id !== null))];
    const guardians = subjects.length
      ? await this.people.guardians.find({
          where: { personId: In(subjects) },
          select: { personId: true, guardianPersonId: true },
        })
      : [];
    const guardiansOf = new Map<string, string[]>();
    for (const g of guardians)
      guardiansOf.set(g.personId, [...(guardiansOf.get(g.personId) ?? []), g.guardianPersonId]);
    const everyone = [...new Set([...subjects, ...guardians.map((g) => g.guardianPersonId)])];
    const existing = new Set(
      everyone.length
        ? (await this.people.orm.find({ where: { id: In(everyone) }, select: { id: true } })).map((p) => p.id)
        : [],
    );
    const ctx = events.length ? await this.lookups.contexts(events) : new Map<string, never>();
    const rows: {
      id: string;
      recipientPersonId: string;
      kind: string;
      eventId: string;
      title: string;
      body: string;
    }[] = [];
    for (const event of events) {
      const subjectId = event.personId;
      const c = ctx.get(event.id);
      if (!subjectId || !c) continue;
      const subject = c.personName ?? event.pin ?? 'someone';
      for (const id of new Set([subjectId, ...(guardiansOf.get(subjectId) ?? [])])) {
        if (!existing.has(id)) continue;
        rows.push({
          id: randomUUID(),
          recipientPersonId: id,
          kind: 'event',
          eventId: event.id,
          title: event.name,
          body: `${id === subjectId ? 'You' : subject}: ${describe(event, c)} at ${event.time.toISOString()}`,
        });
      }
    }
    const createdAt = await this.notifications.insertMany(rows);
    const all: NotificationEntity[] = [
      ...[...stored.values()].flat(),
      ...rows.map((r) =>
        Object.assign(new NotificationEntity(), r, {
          recipientOperatorId: null,
          readAt: null,
          createdAt: createdAt.get(r.id) ?? this.clock.now(),
        }),
      ),
    ];
    const done: Promise<void>[] = [];
    for (const n of all) {
      if (!n.recipientPersonId || !n.eventId) continue;
      // Keyed: a notification published again after a restart reaches the stream once.
      const published = this.hub.publish(
        { personIds: [n.recipientPersonId] },
        { type: 'notification', data: view(n), key: `notification:${n.id}` },
      );
      done.push(
        published.then((ok) => {
          if (!ok) throw new Error('notification not stored in the stream log');
        }),
      );
      done.push(
        this.events.emitAndWait('notification.created', {
          kind: 'event',
          title: n.title,
          body: n.body,
          eventId: n.eventId,
          alarmId: null,
          notificationIds: [n.id],
          operatorIds: [],
          personIds: [n.recipientPersonId],
          createdAt: n.createdAt,
          recovered: stored.has(n.eventId),
        }),
      );
    }
    await Promise.all(done);
  }
}

/**
 * Collects the items added within GROUP_WINDOW_MS of the first one (and while the previous
 * group is being handled) and hands them to `handle` as one group; groups are handled one
 * after another, in order.
 */
class WindowGroups<T> {
  private open: T[] | undefined;
  private chain: Promise<void> = Promise.resolve();
  private readonly handled = new WeakMap<T[], Promise<void>>();

  constructor(
    private readonly handle: (group: readonly T[]) => Promise<void>,
    private readonly failed: (err: unknown, group: readonly T[]) => void,
  ) {}

  /** Resolves once the item's group is handled; rejects when that failed (after `failed` logged it). */
  add(item: T): Promise<void> {
    let group = this.open;
    if (!group) {
      const fresh: T[] = [];
      group = this.open = fresh;
      const handled = this.chain.then(async () => {
        // Stored copies are not on the live path: a short window makes fewer, larger inserts.
        await new Promise<void>((r) => setTimeout(r, GROUP_WINDOW_MS));
        if (this.open === fresh) this.open = undefined;
        await this.handle(fresh).catch((err: unknown) => {
          this.failed(err, fresh);
          throw err;
        });
      });
      this.chain = handled.catch(() => undefined);
      this.handled.set(fresh, handled);
    }
    group.push(item);
    const handled = this.handled.get(group);
    if (!handled) throw new Error('notification group without its handling');
    return handled;
  }
}
