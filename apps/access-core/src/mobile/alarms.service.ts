import { Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import type { ClientInfo, Principal } from '../auth/principal';
import { AccessEventEntity, AlarmEntity } from '../domain/access-event.entity';
import { AccessEventRepository, AlarmRepository } from '../domain/access-event.repository';
import { DeviceEntity } from '../domain/device.entity';
import { DoorEntity } from '../domain/door.entity';
import { EventLookups } from '../events/event-lookups';
import { AccessCoreErrorCode, AccessCoreException } from '../http/access-core.exception';
import { Clock } from '../system/clock';
import { AuditService } from './audit.service';
import { DEFAULT_PICTURE, sniffImageType, type Picture } from './default-picture';
import type { AlarmListQueryDto } from './dto/alarms.dto';
import { EventPresenter, type AlarmDetailView, type AlarmView } from './event-presenter';
import { dayBounds, likePattern, pageWindow, sortOrder, type Page, pageOfIds } from './pagination';
import type { AlarmSummary } from '@lanbridge/mobile-api';
export type { AlarmSummary } from '@lanbridge/mobile-api';

function notFound(id: string): AccessCoreException {
  return new AccessCoreException(AccessCoreErrorCode.NOT_FOUND, `no alarm ${id}`);
}

@Injectable()
export class AlarmsService {
  constructor(
    private readonly alarms: AlarmRepository,
    private readonly events: AccessEventRepository,
    private readonly presenter: EventPresenter,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly lookups: EventLookups,
  ) {}

  async todaySummary(): Promise<AlarmSummary> {
    const { start, end } = dayBounds(this.clock.now());
    const rows = await this.alarms.orm
      .createQueryBuilder('a')
      .innerJoin(AccessEventEntity, 'e', 'e.id = a.event_id')
      .select('a.confirmed', 'confirmed')
      .addSelect('COUNT(*)::int', 'n')
      .where('e.time >= :start AND e.time < :end', { start, end })
      .groupBy('a.confirmed')
      .getRawMany<{ confirmed: boolean; n: number }>();
    const confirmed = rows.find((r) => r.confirmed)?.n ?? 0;
    const unconfirmed = rows.find((r) => !r.confirmed)?.n ?? 0;
    return { total: confirmed + unconfirmed, unconfirmed, confirmed };
  }

  async list(q: AlarmListQueryDto): Promise<Page<AlarmView>> {
    const { page, pageSize, skip, take } = pageWindow(q);
    const qb = this.alarms.orm
      .createQueryBuilder('a')
      .innerJoin(AccessEventEntity, 'e', 'e.id = a.event_id')
      .leftJoin(DeviceEntity, 'd', 'd.id = e.device_id')
      .leftJoin(DoorEntity, 'r', 'r.id = e.door_id');
    if (q.today) {
      const { start, end } = dayBounds(this.clock.now());
      qb.andWhere('e.time >= :tStart AND e.time < :tEnd', { tStart: start, tEnd: end });
    }
    if (q.from) qb.andWhere('e.time >= :from', { from: new Date(q.from) });
    if (q.to) qb.andWhere('e.time < :to', { to: new Date(q.to) });
    if (q.level) qb.andWhere('a.level = :level', { level: q.level });
    if (q.confirmed !== undefined) qb.andWhere('a.confirmed = :confirmed', { confirmed: q.confirmed });
    if (q.resourceId) {
      qb.andWhere(q.resource === 'door' ? 'e.door_id = :rid' : 'e.device_id = :rid', { rid: q.resourceId });
    } else if (q.resource === 'door') {
      qb.andWhere('e.door_id IS NOT NULL');
    }
    if (q.q) qb.andWhere('(e.name ILIKE :q OR d.alias ILIKE :q OR r.name ILIKE :q)', { q: likePattern(q.q) });
    const { total, ids } = await pageOfIds(qb, 'a.id', sortOrder(q), skip, take);
    return { items: await this.views(ids), page, pageSize, total };
  }

  async detail(id: string): Promise<AlarmDetailView> {
    const alarm = await this.alarms.findById(id);
    if (!alarm) throw notFound(id);
    const event = await this.alarms.events.findOneByOrFail({ id: alarm.eventId });
    const ctx = (await this.presenter.contexts([event])).get(event.id);
    if (!ctx) throw notFound(id);
    return this.presenter.alarmDetail(alarm, event, ctx);
  }

  async picture(id: string): Promise<Picture> {
    const alarm = await this.alarms.findById(id);
    if (!alarm) throw notFound(id);
    const event = await this.alarms.events.findOne({
      where: { id: alarm.eventId },
      select: { id: true, picture: true },
    });
    return event?.picture?.length
      ? { contentType: sniffImageType(event.picture), bytes: event.picture }
      : DEFAULT_PICTURE;
  }

  async confirm(id: string, remark: string | undefined, who: Principal, client: ClientInfo): Promise<AlarmDetailView> {
    const existing = await this.alarms.findById(id);
    if (!existing) throw notFound(id);
    const done = await this.alarms.confirm(id, who.name, remark ?? null, this.clock.now());
    if (!done) throw new AccessCoreException(AccessCoreErrorCode.CONFLICT, `alarm ${id} is already confirmed`);
    await this.audit.record(who, client, 'alarm.confirm', `alarm:${id}`, { remark: remark ?? null });
    return this.detail(id);
  }

  /** Views of alarms in the order of `ids`. */
  async views(ids: readonly string[]): Promise<AlarmView[]> {
    if (ids.length === 0) return [];
    const alarms = await this.alarms.orm.findBy({ id: In([...ids]) });
    const events = await this.alarms.events.find({
      where: { id: In(alarms.map((a) => a.eventId)) },
      select: {
        id: true,
        time: true,
        code: true,
        name: true,
        level: true,
        deviceId: true,
        deviceSn: true,
        doorId: true,
        doorNo: true,
        personId: true,
        pin: true,
        verifyType: true,
      },
    });
    const withPicture = await this.events.idsWithPicture(events.map((e) => e.id));
    for (const e of events) e.picture = withPicture.has(e.id) ? Buffer.alloc(1) : null;
    const ctx = await this.presenter.contexts(events);
    const byId = new Map(alarms.map((a) => [a.id, a]));
    const eventById = new Map(events.map((e) => [e.id, e]));
    const out: AlarmView[] = [];
    for (const id of ids) {
      const a = byId.get(id);
      const e = a ? eventById.get(a.eventId) : undefined;
      const c = e ? ctx.get(e.id) : undefined;
      if (a && e && c) out.push(this.presenter.alarm(a, e, c));
    }
    return out;
  }

  /** The view of one alarm, for the live stream (names from the look-up cache, usually no query). */
  async viewOf(alarm: AlarmEntity, event: AccessEventEntity): Promise<AlarmView | undefined> {
    const ctx = (await this.lookups.contexts([event])).get(event.id);
    return ctx ? this.presenter.alarm(alarm, event, ctx) : undefined;
  }
}
