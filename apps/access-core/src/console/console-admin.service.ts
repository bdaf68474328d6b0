import { Injectable } from '@nestjs/common';
import { Brackets, IsNull } from 'typeorm';
import type { ClientInfo, Principal } from '../auth/principal';
import { SiteSettingRepository } from '../database/site-setting.repository';
import { AreaRepository, DeviceRepository, DoorRepository } from '../domain/device.repository';
import { OperationLogRepository } from '../domain/operator.repository';
import { AccessCoreErrorCode, AccessCoreException } from '../http/access-core.exception';
import { AuditService } from '../mobile/audit.service';
import { likePattern, pageWindow, type Page } from '../mobile/pagination';
import { SITE_NAME_KEY } from '../system/system.service';
import type { CreateAreaDto, OperationLogQueryDto, UpdateDoorDto } from './console.dto';

export interface AreaView {
  readonly id: string;
  readonly name: string;
  readonly parentId: string | null;
  readonly devices: number;
  readonly createdAt: string;
}

export interface DoorSettingsView {
  readonly id: string;
  readonly name: string;
  readonly doorNo: number;
  readonly deviceId: string;
  readonly driveTimeSec: number;
}

export interface OperationLogView {
  readonly id: string;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly target: string | null;
  readonly ip: string | null;
  readonly detail: Record<string, unknown> | null;
}

/** What only the site console needs beyond the mobile API: areas, door settings, the operation log, the site name. */
@Injectable()
export class ConsoleAdminService {
  constructor(
    private readonly areas: AreaRepository,
    private readonly devices: DeviceRepository,
    private readonly doors: DoorRepository,
    private readonly oplog: OperationLogRepository,
    private readonly settings: SiteSettingRepository,
    private readonly audit: AuditService,
  ) {}

  async listAreas(): Promise<AreaView[]> {
    const rows = await this.areas.orm.find({ order: { name: 'ASC' }, take: 1000 });
    const counts: { area_id: string; n: string }[] = await this.devices.orm
      .createQueryBuilder('d')
      .select('d.area_id', 'area_id')
      .addSelect('COUNT(*)', 'n')
      .where('d.area_id IS NOT NULL')
      .groupBy('d.area_id')
      .getRawMany();
    const byArea = new Map(counts.map((c) => [c.area_id, Number(c.n)]));
    return rows.map((a) => ({
      id: a.id,
      name: a.name,
      parentId: a.parentId,
      devices: byArea.get(a.id) ?? 0,
      createdAt: a.createdAt.toISOString(),
    }));
  }

  async createArea(dto: CreateAreaDto, who: Principal, client: ClientInfo): Promise<AreaView> {
    if (dto.parentId && !(await this.areas.orm.existsBy({ id: dto.parentId }))) {
      throw new AccessCoreException(AccessCoreErrorCode.NOT_FOUND, `no area ${dto.parentId}`);
    }
    await this.refuseSiblingName(dto.name, dto.parentId ?? null);
    const area = await this.areas.orm.save(this.areas.orm.create({ name: dto.name, parentId: dto.parentId ?? null }));
    await this.audit.record(who, client, 'area.create', `area:${area.name}`, { parentId: area.parentId });
    return { ...this.areaView(area), devices: 0 };
  }

  async renameArea(id: string, name: string, who: Principal, client: ClientInfo): Promise<AreaView> {
    const area = await this.areas.orm.findOneBy({ id });
    if (!area) throw new AccessCoreException(AccessCoreErrorCode.NOT_FOUND, `no area ${id}`);
    if (area.name !== name) await this.refuseSiblingName(name, area.parentId);
    const previous = area.name;
    area.name = name;
    await this.areas.orm.save(area);
    await this.audit.record(who, client, 'area.rename', `area:${name}`, { from: previous });
    return { ...this.areaView(area), devices: await this.devices.orm.countBy({ areaId: id }) };
  }

  /** Only an empty area goes: terminals and inner areas must be moved first (409 otherwise). */
  async deleteArea(id: string, who: Principal, client: ClientInfo): Promise<void> {
    const area = await this.areas.orm.findOneBy({ id });
    if (!area) throw new AccessCoreException(AccessCoreErrorCode.NOT_FOUND, `no area ${id}`);
    const [devices, children] = await Promise.all([
      this.devices.orm.countBy({ areaId: id }),
      this.areas.orm.countBy({ parentId: id }),
    ]);
    if (devices > 0 || children > 0) {
      throw new AccessCoreException(
        AccessCoreErrorCode.CONFLICT,
        `area "${area.name}" still holds ${devices} terminal(s) and ${children} area(s); move them first`,
      );
    }
    await this.areas.orm.delete({ id });
    await this.audit.record(who, client, 'area.delete', `area:${area.name}`);
  }

  async doorSettings(id: string): Promise<DoorSettingsView> {
    const door = await this.doors.findById(id);
    if (!door) throw new AccessCoreException(AccessCoreErrorCode.NOT_FOUND, `no door ${id}`);
    return {
      id: door.id,
      name: door.name,
      doorNo: door.doorNo,
      deviceId: door.deviceId,
      driveTimeSec: door.driveTimeSec,
    };
  }

  async updateDoor(id: string, dto: UpdateDoorDto, who: Principal, client: ClientInfo): Promise<DoorSettingsView> {
    const door = await this.doors.findById(id);
    if (!door) throw new AccessCoreException(AccessCoreErrorCode.NOT_FOUND, `no door ${id}`);
    if (dto.name !== undefined) door.name = dto.name;
    if (dto.driveTimeSec !== undefined) door.driveTimeSec = dto.driveTimeSec;
    await this.doors.orm.save(door);
    await this.audit.record(who, client, 'door.update', `door:${door.name}`, { ...dto });
    return this.doorSettings(id);
  }

  async operationLog(q: OperationLogQueryDto): Promise<Page<OperationLogView>> {
    const { page, pageSize, skip, take } = pageWindow(q);
    const qb = this.oplog.orm.createQueryBuilder('o');
    if (q.q) {
      const like = likePattern(q.q);
      qb.andWhere(
        new Brackets((w) => {
          w.where('o.actor ILIKE :like', { like })
            .orWhere('o.action ILIKE :like', { like })
            .orWhere('o.target ILIKE :like', { like });
        }),
      );
    }
    if (q.from) qb.andWhere('o.at >= :from', { from: new Date(q.from) });
    if (q.to) qb.andWhere('o.at < :to', { to: new Date(q.to) });
    const [rows, total] = await qb
      .orderBy('o.at', q.order === 'asc' ? 'ASC' : 'DESC')
      .addOrderBy('o.id', 'ASC')
      .skip(skip)
      .take(take)
      .getManyAndCount();
    return {
      items: rows.map((o) => ({
        id: o.id,
        at: o.at.toISOString(),
        actor: o.actor,
        action: o.action,
        target: o.target,
        ip: o.ip,
        detail: o.detail,
      })),
      page,
      pageSize,
      total,
    };
  }

  async renameSite(name: string, who: Principal, client: ClientInfo): Promise<{ name: string; updatedAt: string }> {
    const previous = (await this.settings.get(SITE_NAME_KEY))?.value;
    const saved = await this.settings.set(SITE_NAME_KEY, name);
    await this.audit.record(who, client, 'settings.site-name.set', 'settings:site-name', {
      from: typeof previous === 'string' ? previous : null,
      to: name,
    });
    return { name, updatedAt: saved.updatedAt.toISOString() };
  }

  private areaView(a: {
    id: string;
    name: string;
    parentId: string | null;
    createdAt: Date;
  }): Omit<AreaView, 'devices'> {
    return { id: a.id, name: a.name, parentId: a.parentId, createdAt: a.createdAt.toISOString() };
  }

  private async refuseSiblingName(name: string, parentId: string | null): Promise<void> {
    const taken = await this.areas.orm.existsBy({ name, parentId: parentId ?? IsNull() });
    if (taken)
      throw new AccessCoreException(AccessCoreErrorCode.CONFLICT, `an area named "${name}" exists here already`);
  }
}
