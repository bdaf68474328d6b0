import { Inject, Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import type { AccessCoreConfig } from '../config/access-core.config';
import { ACCESS_CORE_CONFIG } from '../config/config.tokens';
import type { ClientInfo, Principal } from '../auth/principal';
import type { PersonEntity } from '../domain/person.entity';
import { PersonRepository } from '../domain/person.repository';
import { VisitEntity, VisitorEntity, type VisitStatus } from '../domain/visitor.entity';
import { VisitorRepository } from '../domain/visitor.repository';
import { AccessCoreErrorCode, AccessCoreException } from '../http/access-core.exception';
import { Clock } from '../system/clock';
import { AuditService } from './audit.service';
import { decodePhoto, sniffImageType, type Picture } from './default-picture';
import type { PhotoKind, RegisterVisitDto, VisitListQueryDto } from './dto/visits.dto';
import { dayBounds, likePattern, monthBounds, pageWindow, sortOrder, type Page } from './pagination';
import type { VisitView, VisitSummary, VisitStatistics, HostView } from '@lanbridge/mobile-api';
export type { VisitView, VisitSummary, VisitStatistics, HostView } from '@lanbridge/mobile-api';

export function personName(p: Pick<PersonEntity, 'firstName' | 'lastName'>): string {
  return `${p.firstName} ${p.lastName}`.trim();
}

@Injectable()
export class VisitsService {
  constructor(
    @Inject(ACCESS_CORE_CONFIG) private readonly config: AccessCoreConfig,
    private readonly visitors: VisitorRepository,
    private readonly people: PersonRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async todaySummary(): Promise<VisitSummary> {
    const { start, end } = dayBounds(this.clock.now());
    const visits = this.visitors.visits;
    const [visitors, notCheckedOut, checkedIn] = await Promise.all([
      visits.createQueryBuilder('v').where('v.start_at >= :start AND v.start_at < :end', { start, end }).getCount(),
      visits.countBy({ status: 'checked_in' }),
      visits
        .createQueryBuilder('v')
        .where('v.checked_in_at >= :start AND v.checked_in_at < :end', { start, end })
        .getCount(),
    ]);
    return { visitors, notCheckedOut, checkedIn };
  }

  async list(q: VisitListQueryDto): Promise<Page<VisitView>> {
    const { page, pageSize, skip, take } = pageWindow(q);
    const qb = this.visitors.visits.createQueryBuilder('v').innerJoin(VisitorEntity, 'p', 'p.id = v.visitor_id');
    if (q.today) {
      const { start, end } = dayBounds(this.clock.now());
      qb.andWhere('v.start_at >= :start AND v.start_at < :end', { start, end });
    }
    if (q.status) qb.andWhere('v.status = :status', { status: q.status });
    if (q.q) qb.andWhere('p.name ILIKE :q', { q: likePattern(q.q) });
    const [rows, total] = await qb
      .orderBy('v.start_at', sortOrder(q))
      .addOrderBy('v.id', 'ASC')
      .skip(skip)
      .take(take)
      .getManyAndCount();
    return { items: await this.views(rows), page, pageSize, total };
  }

  async detail(id: string): Promise<VisitView> {
    const [view] = await this.views([await this.requireVisit(id)]);
    if (!view) throw new AccessCoreException(AccessCoreErrorCode.NOT_FOUND, `no visit ${id}`);
    return view;
  }

  async register(dto: RegisterVisitDto, who: Principal, client: ClientInfo): Promise<VisitView> {
    const host = await this.resolveHost(dto);
    const startAt = new Date(dto.startAt);
    const endAt = dto.endAt ? new Date(dto.endAt) : null;
    if (endAt && endAt <= startAt) {
      throw new AccessCoreException(AccessCoreErrorCode.VALIDATION_FAILED, 'endAt must be after startAt', [
        { field: 'endAt', problems: ['must be after startAt'] },
      ]);
    }
    const photo = this.decodePhoto('photo', dto.photo);
    const platePhoto = this.decodePhoto('platePhoto', dto.platePhoto);
    const goodsPhoto = this.decodePhoto('goodsPhoto', dto.goodsPhoto);
    const visit = await this.visitors.orm.manager.transaction(async (tx) => {
      const visitor = await tx.save(
        tx.create(VisitorEntity, {
          name: dto.name,
          contact: dto.contact ?? null,
          idNumber: dto.idNumber ?? null,
          photo,
        }),
      );
      return tx.save(
        tx.create(VisitEntity, {
          visitorId: visitor.id,
          hostPersonId: host?.id ?? null,
          reason: dto.reason ?? null,
          startAt,
          endAt,
          status: 'reserved',
          platePhoto,
          goodsPhoto,
          createdBy: who.name,
        }),
      );
    });
    await this.audit.record(who, client, 'visit.register', `visit:${visit.id}`, {
      visitor: dto.name,
      host: host?.pin ?? null,
    });
    return this.detail(visit.id);
  }

  async checkIn(id: string, who: Principal, client: ClientInfo): Promise<VisitView> {
    return this.transition(id, 'reserved', 'checked_in', who, client);
  }

  async checkOut(id: string, who: Principal, client: ClientInfo): Promise<VisitView> {
    return this.transition(id, 'checked_in', 'checked_out', who, client);
  }

  async photo(id: string, kind: PhotoKind): Promise<Picture> {
    const visit = await this.requireVisit(id);
    let bytes: Buffer | null;
    if (kind === 'plate') bytes = visit.platePhoto;
    else if (kind === 'goods') bytes = visit.goodsPhoto;
    else bytes = (await this.visitors.findById(visit.visitorId))?.photo ?? null;
    if (!bytes?.length)
      throw new AccessCoreException(AccessCoreErrorCode.NOT_FOUND, `visit ${id} has no ${kind} photo`);
    return { contentType: sniffImageType(bytes), bytes };
  }

  async statistics(): Promise<VisitStatistics> {
    const now = this.clock.now();
    const { start, end } = dayBounds(now);
    const checkIns = await this.visitors.visits
      .createQueryBuilder('v')
      .select('v.checked_in_at', 'at')
      .where('v.checked_in_at >= :start AND v.checked_in_at < :end', { start, end })
      .getRawMany<{ at: Date }>();
    const byHour = Array.from({ length: 24 }, (_, hour) => ({ hour, count: 0 }));
    for (const r of checkIns) byHour[new Date(r.at).getHours()].count += 1;
    const month = monthBounds(now);
    const top = await this.visitors.visits
      .createQueryBuilder('v')
      .innerJoin(VisitorEntity, 'p', 'p.id = v.visitor_id')
      .select('MIN(p.name)', 'name')
      .addSelect('COUNT(*)::int', 'visits')
      .where('v.start_at >= :mStart AND v.start_at < :mEnd', { mStart: month.start, mEnd: month.end })
      .groupBy('lower(p.name)')
      .orderBy('visits', 'DESC')
      .addOrderBy('name', 'ASC')
      .limit(5)
      .getRawMany<{ name: string; visits: number }>();
    return { todayByHour: byHour, topVisitorsThisMonth: top };
  }

  async searchHosts(q: string): Promise<HostView[]> {
    const rows = await this.people.orm
      .createQueryBuilder('p')
      .where('p.disabled = false')
      .andWhere("(p.pin ILIKE :prefix OR (p.first_name || ' ' || p.last_name) ILIKE :q)", {
        prefix: `${likePattern(q).slice(1)}`,
        q: likePattern(q),
      })
      .orderBy('p.pin', 'ASC')
      .limit(20)
      .getMany();
    return rows.map((p) => ({ id: p.id, pin: p.pin, name: personName(p) }));
  }

  private async transition(
    id: string,
    from: VisitStatus,
    to: VisitStatus,
    who: Principal,
    client: ClientInfo,
  ): Promise<VisitView> {
    await this.requireVisit(id);
    const at = this.clock.now();
    const res = await this.visitors.visits.update(
      { id, status: from },
      to === 'checked_in' ? { status: to, checkedInAt: at } : { status: to, checkedOutAt: at },
    );
    if (!res.affected) {
      throw new AccessCoreException(
        AccessCoreErrorCode.CONFLICT,
        to === 'checked_in' ? `visit ${id} is not waiting for check-in` : `visit ${id} is not checked in`,
      );
    }
    await this.audit.record(who, client, to === 'checked_in' ? 'visit.check-in' : 'visit.check-out', `visit:${id}`);
    return this.detail(id);
  }

  private async requireVisit(id: string): Promise<VisitEntity> {
    const v = await this.visitors.visits.findOneBy({ id });
    if (!v) throw new AccessCoreException(AccessCoreErrorCode.NOT_FOUND, `no visit ${id}`);
    return v;
  }

  private async resolveHost(dto: RegisterVisitDto): Promise<PersonEntity | undefined> {
    if (!dto.hostPersonId && !dto.hostPin) return undefined;
    const host = dto.hostPersonId
      ? await this.people.findById(dto.hostPersonId)
      : await this.people.findByPin(dto.hostPin ?? '');
    if (!host || host.disabled) {
      throw new AccessCoreException(AccessCoreErrorCode.NOT_FOUND, `no host ${dto.hostPersonId ?? dto.hostPin}`);
    }
    return host;
  }

  private decodePhoto(field: string, b64: string | undefined): Buffer | null {
    return decodePhoto(field, b64, this.config.MOBILE_PHOTO_MAX_BYTES);
  }

  private async views(rows: VisitEntity[]): Promise<VisitView[]> {
    if (rows.length === 0) return [];
    const visitors = await this.visitors.orm.findBy({ id: In(rows.map((r) => r.visitorId)) });
    const hostIds = rows.map((r) => r.hostPersonId).filter((v): v is string => v !== null);
    const hosts = hostIds.length ? await this.people.orm.findBy({ id: In(hostIds) }) : [];
    const visitor = new Map(visitors.map((v) => [v.id, v]));
    const host = new Map(hosts.map((h) => [h.id, h]));
    return rows.map((v) => {
      const p = visitor.get(v.visitorId);
      const h = v.hostPersonId ? host.get(v.hostPersonId) : undefined;
      const photos: VisitView['photos'] = [];
      if (p?.photo?.length) photos.push({ kind: 'visitor', url: `/api/v1/visits/${v.id}/photos/visitor` });
      if (v.platePhoto?.length) photos.push({ kind: 'plate', url: `/api/v1/visits/${v.id}/photos/plate` });
      if (v.goodsPhoto?.length) photos.push({ kind: 'goods', url: `/api/v1/visits/${v.id}/photos/goods` });
      return {
        id: v.id,
        visitorId: v.visitorId,
        visitorName: p?.name ?? '',
        contact: p?.contact ?? null,
        hostPersonId: v.hostPersonId,
        hostName: h ? personName(h) : null,
        reason: v.reason,
        startAt: v.startAt.toISOString(),
        endAt: v.endAt?.toISOString() ?? null,
        status: v.status,
        checkedInAt: v.checkedInAt?.toISOString() ?? null,
        checkedOutAt: v.checkedOutAt?.toISOString() ?? null,
        photos,
        invitationId: v.invitationId,
      };
    });
  }
}
