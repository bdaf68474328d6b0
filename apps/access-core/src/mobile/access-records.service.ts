import { Injectable } from '@nestjs/common';
import { In, type FindOptionsSelect, type FindOptionsWhere } from 'typeorm';
import { AccessEventEntity } from '../domain/access-event.entity';
import { AccessEventRepository } from '../domain/access-event.repository';
import { DoorEntity } from '../domain/door.entity';
import { PersonEntity } from '../domain/person.entity';
import { AccessCoreErrorCode, AccessCoreException } from '../http/access-core.exception';
import { sniffImageType } from './default-picture';
import type { Picture } from './default-picture';
import type { AccessRecordQueryDto } from './dto/alarms.dto';
import { EventPresenter, type AccessRecordView } from './event-presenter';
import { likePattern, pageWindow, sortOrder, type Page, pageOfIds } from './pagination';

const LIST_COLUMNS: FindOptionsSelect<AccessEventEntity> = {
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
  cardNo: true,
  verifyType: true,
  inOut: true,
};

/** Access records: events that involve a person (door openings and refusals), with details. */
@Injectable()
export class AccessRecordsService {
  constructor(
    private readonly events: AccessEventRepository,
    private readonly presenter: EventPresenter,
  ) {}

  async list(q: AccessRecordQueryDto): Promise<Page<AccessRecordView>> {
    const { page, pageSize, skip, take } = pageWindow(q);
    const qb = this.events.orm
      .createQueryBuilder('e')
      .leftJoin(PersonEntity, 'p', 'p.id = e.person_id')
      .leftJoin(DoorEntity, 'r', 'r.id = e.door_id')
      .where("(e.person_id IS NOT NULL OR (e.pin IS NOT NULL AND e.pin <> '' AND e.pin <> '0'))");
    if (q.from) qb.andWhere('e.time >= :from', { from: new Date(q.from) });
    if (q.to) qb.andWhere('e.time < :to', { to: new Date(q.to) });
    if (q.doorId) qb.andWhere('e.door_id = :doorId', { doorId: q.doorId });
    if (q.deviceId) qb.andWhere('e.device_id = :deviceId', { deviceId: q.deviceId });
    if (q.personId) qb.andWhere('e.person_id = :personId', { personId: q.personId });
    if (q.q) {
      qb.andWhere("(e.pin ILIKE :q OR (p.first_name || ' ' || p.last_name) ILIKE :q OR r.name ILIKE :q)", {
        q: likePattern(q.q),
      });
    }
    const { total, ids } = await pageOfIds(qb, 'e.id', sortOrder(q), skip, take);
    return { items: await this.views(ids), page, pageSize, total };
  }

  async detail(id: string): Promise<AccessRecordView> {
    const [view] = await this.views([id]);
    if (!view) throw new AccessCoreException(AccessCoreErrorCode.NOT_FOUND, `no access record ${id}`);
    return view;
  }

  async picture(id: string): Promise<Picture> {
    const e = await this.events.orm.findOne({ where: { id }, select: { id: true, picture: true } });
    if (!e?.picture?.length)
      throw new AccessCoreException(AccessCoreErrorCode.NOT_FOUND, `access record ${id} has no picture`);
    return { contentType: sniffImageType(e.picture), bytes: e.picture };
  }

  /** Views in the order of `ids` (pictures are flagged, not loaded). */
  async views(ids: readonly string[]): Promise<AccessRecordView[]> {
    if (ids.length === 0) return [];
    const where: FindOptionsWhere<AccessEventEntity> = { id: In([...ids]) };
    const events = await this.events.orm.find({ where, select: LIST_COLUMNS });
    const hasPicture = await this.events.idsWithPicture(ids);
    for (const e of events) e.picture = hasPicture.has(e.id) ? Buffer.alloc(1) : null;
    const ctx = await this.presenter.contexts(events);
    const byId = new Map(events.map((e) => [e.id, e]));
    return ids.flatMap((id) => {
      const e = byId.get(id);
      const c = e ? ctx.get(id) : undefined;
      return e && c ? [this.presenter.accessRecord(e, c)] : [];
    });
  }
}
