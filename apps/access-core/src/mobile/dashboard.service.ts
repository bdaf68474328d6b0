import { Injectable } from '@nestjs/common';
import { In, type FindOptionsWhere } from 'typeorm';
import { AreaRepository, DeviceRepository } from '../domain/device.repository';
import type { DeviceEntity } from '../domain/device.entity';
import { PersonRepository } from '../domain/person.repository';
import { AccessCoreErrorCode, AccessCoreException } from '../http/access-core.exception';
import type { DeviceListQueryDto } from './dto/dashboard.dto';
import { pageWindow, type Page } from './pagination';
import { VisitsService } from './visits.service';
import type { Dashboard, DeviceView } from '@lanbridge/mobile-api';
export type { Dashboard, DeviceView } from '@lanbridge/mobile-api';

@Injectable()
export class DashboardService {
  constructor(
    private readonly areas: AreaRepository,
    private readonly devices: DeviceRepository,
    private readonly people: PersonRepository,
    private readonly visits: VisitsService,
  ) {}

  async dashboard(areaId: string | undefined): Promise<Dashboard> {
    const where = await this.deviceScope(areaId);
    where.approval = 'approved';
    const [total, online, people, visitorsToday, areas] = await Promise.all([
      this.devices.orm.countBy(where),
      this.devices.orm.countBy({ ...where, online: true }),
      this.people.orm.countBy({ disabled: false }),
      this.visits.todaySummary().then((s) => s.visitors),
      this.areas.orm.find({ order: { name: 'ASC' }, take: 500 }),
    ]);
    return {
      areaId: areaId ?? null,
      people,
      visitorsToday,
      devices: { total, online, offline: total - online },
      areas: areas.map((a) => ({ id: a.id, name: a.name, parentId: a.parentId })),
    };
  }

  async deviceList(q: DeviceListQueryDto): Promise<Page<DeviceView>> {
    const where = await this.deviceScope(q.areaId);
    if (q.status) where.online = q.status === 'online';
    where.approval = q.approval ?? 'approved';
    const { page, pageSize, skip, take } = pageWindow(q);
    // The site's terminals by name; the ones waiting for a decision newest first.
    const order = where.approval === 'approved' ? { alias: 'ASC' as const } : { createdAt: 'DESC' as const };
    const [rows, total] = await this.devices.orm.findAndCount({ where, order: { ...order, id: 'ASC' }, skip, take });
    return { items: await this.views(rows), page, pageSize, total };
  }

  async views(rows: DeviceEntity[]): Promise<DeviceView[]> {
    const areaIds = [...new Set(rows.map((d) => d.areaId).filter((id): id is string => id !== null))];
    const areas = areaIds.length ? await this.areas.orm.findBy({ id: In(areaIds) }) : [];
    const names = new Map(areas.map((a) => [a.id, a.name]));
    return rows.map((d) => ({
      id: d.id,
      sn: d.sn,
      name: d.alias,
      model: d.model,
      firmware: d.firmware,
      online: d.online,
      lastSeenAt: d.lastSeenAt?.toISOString() ?? null,
      areaId: d.areaId,
      areaName: d.areaId ? (names.get(d.areaId) ?? null) : null,
      approval: d.approval,
      ip: d.lastIp,
      firstSeenAt: d.createdAt.toISOString(),
      decidedBy: d.decidedBy,
      decidedAt: d.decidedAt?.toISOString() ?? null,
    }));
  }

  private async deviceScope(areaId: string | undefined): Promise<FindOptionsWhere<DeviceEntity>> {
    if (!areaId) return {};
    if (!(await this.areas.orm.existsBy({ id: areaId }))) {
      throw new AccessCoreException(AccessCoreErrorCode.NOT_FOUND, `no area ${areaId}`);
    }
    return { areaId: In(await this.areas.subtreeIds(areaId)) };
  }
}
