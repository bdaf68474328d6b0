import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { In, IsNull } from 'typeorm';
import type { Logger } from '@lanbridge/logging';
import type { Principal } from '../auth/principal';
import { ROOT_LOGGER } from '../config/config.tokens';
import type { AccessEventEntity } from '../domain/access-event.entity';
import type { NotificationEntity } from '../domain/notification.entity';
import { NotificationRepository } from '../domain/notification.repository';
import { OperatorRepository } from '../domain/operator.repository';
import { PersonRepository } from '../domain/person.repository';
import { DomainEvents } from '../events/domain-events';
import { AccessCoreErrorCode, AccessCoreException } from '../http/access-core.exception';
import { StreamHub } from '../realtime/stream.hub';
import { Clock } from '../system/clock';
import { describe, EventPresenter } from './event-presenter';
import { pageWindow, sortOrder, type Page, type PageQueryDto } from './pagination';

export interface NotificationView {
  readonly id: string;
  readonly kind: string;
  readonly title: string;
  readonly body: string;
  readonly eventId: string | null;
  readonly read: boolean;
  readonly createdAt: string;
}

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

  constructor(
    private readonly notifications: NotificationRepository,
    private readonly people: PersonRepository,
    private readonly operators: OperatorRepository,
    private readonly presenter: EventPresenter,
    private readonly events: DomainEvents,
    private readonly hub: StreamHub,
    private readonly clock: Clock,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ component: 'notifications' });
  }

  onModuleInit(): void {
    this.unsubscribe.push(
      this.events.on('event.created', ({ event }) => {
        if (!event.personId) return;
        this.fanOut(event).catch((err: unknown) =>
          this.logger.error({ err, eventId: event.id }, 'notification fan-out failed'),
        );
      }),
      this.events.on('alarm.created', ({ alarm, event }) => {
        this.notifyOperators(alarm.id, event).catch((err: unknown) =>
          this.logger.error({ err, alarmId: alarm.id }, 'operator notification failed'),
        );
      }),
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

  // Administrators see alarms live on the stream; the stored copy fills their notification center.
  private async notifyOperators(alarmId: string, event: AccessEventEntity): Promise<void> {
    const operators = await this.operators.orm.find({ where: { disabled: false }, select: { id: true } });
    const ctx = (await this.presenter.contexts([event])).get(event.id);
    if (!ctx || operators.length === 0) return;
    const title = `${event.level === 'alarm' ? 'Alarm' : 'Exception'}: ${event.name}`;
    const body = `${describe(event, ctx)} at ${event.time.toISOString()} (alarm ${alarmId})`;
    const inserted = await this.notifications.orm.insert(
      operators.map((o) => ({ recipientOperatorId: o.id, kind: 'alarm', eventId: event.id, title, body })),
    );
    this.events.emit('notification.created', {
      kind: 'alarm',
      title,
      body,
      eventId: event.id,
      alarmId,
      notificationIds: inserted.identifiers.map((i) => String(i.id)),
      operatorIds: operators.map((o) => o.id),
      personIds: [],
      createdAt: this.clock.now(),
    });
  }

  private async fanOut(event: AccessEventEntity): Promise<void> {
    const subjectId = event.personId;
    if (!subjectId) return;
    const recipients = [subjectId, ...(await this.people.guardianIdsOf(subjectId))];
    const existing = await this.people.orm.find({ where: { id: In(recipients) }, select: { id: true } });
    const ctx = (await this.presenter.contexts([event])).get(event.id);
    if (!ctx) return;
    const subject = ctx.personName ?? event.pin ?? 'someone';
    for (const { id } of existing) {
      const n = await this.notifications.orm.save(
        this.notifications.orm.create({
          recipientPersonId: id,
          kind: 'event',
          eventId: event.id,
          title: event.name,
          body: `${id === subjectId ? 'You' : subject}: ${describe(event, ctx)} at ${event.time.toISOString()}`,
        }),
      );
      await this.hub.publish({ personIds: [id] }, { type: 'notification', data: view(n) });
      this.events.emit('notification.created', {
        kind: 'event',
        title: n.title,
        body: n.body,
        eventId: event.id,
        alarmId: null,
        notificationIds: [n.id],
        operatorIds: [],
        personIds: [id],
        createdAt: n.createdAt,
      });
    }
  }
}
