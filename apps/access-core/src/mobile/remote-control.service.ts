import { Inject, Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import type { AccessCoreConfig } from '../config/access-core.config';
import { ACCESS_CORE_CONFIG } from '../config/config.tokens';
import type { ClientInfo, Principal } from '../auth/principal';
import type { DeviceCommandEntity } from '../domain/device-command.entity';
import { DeviceEntity } from '../domain/device.entity';
import { AreaRepository, DeviceRepository, DoorRepository } from '../domain/device.repository';
import type { LockdownGroupEntity } from '../domain/lockdown-group.entity';
import { LockdownGroupRepository } from '../domain/lockdown-group.repository';
import { AccessCoreErrorCode, AccessCoreException } from '../http/access-core.exception';
import { LockdownService } from '../lockdown/lockdown.service';
import { DeviceCommandService } from '../terminals/device-command.service';
import { DoorControlService } from '../terminals/door-control.service';
import { actorOf, AuditService } from './audit.service';
import { IdempotencyRepository } from './idempotency.repository';
import type { DoorListQueryDto } from './dto/remote.dto';
import { likePattern, pageWindow, type Page } from './pagination';
import type { DoorView, LockdownGroupView } from '@lanbridge/mobile-api';
import type { CommandOutcome } from '@lanbridge/mobile-api';
export type { CommandOutcome } from '@lanbridge/mobile-api';
export type { DoorView, LockdownGroupView } from '@lanbridge/mobile-api';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,100}$/;
/** How long a retry waits for the first request with its key to finish. */
const IDEMPOTENT_WAIT_MS = 15_000;
const IDEMPOTENT_POLL_MS = 100;

export function checkIdempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined || header === '') return undefined;
  if (!IDEMPOTENCY_KEY.test(header)) {
    throw new AccessCoreException(
      AccessCoreErrorCode.VALIDATION_FAILED,
      'Idempotency-Key must be 1-100 characters of A-Z a-z 0-9 . _ : -',
      [{ field: 'Idempotency-Key', problems: ['must match [A-Za-z0-9._:-]{1,100}'] }],
    );
  }
  return header;
}

function outcome(c: DeviceCommandEntity): CommandOutcome {
  const status = c.status === 'acked' || c.status === 'failed' ? c.status : 'pending';
  return { commandId: c.id, status, returnCode: c.returnCode };
}

@Injectable()
export class RemoteControlService {
  constructor(
    @Inject(ACCESS_CORE_CONFIG) private readonly config: AccessCoreConfig,
    private readonly doors: DoorRepository,
    private readonly devices: DeviceRepository,
    private readonly areas: AreaRepository,
    private readonly groups: LockdownGroupRepository,
    private readonly doorControl: DoorControlService,
    private readonly commands: DeviceCommandService,
    private readonly lockdown: LockdownService,
    private readonly audit: AuditService,
    private readonly idempotency: IdempotencyRepository,
  ) {}

  async listDoors(q: DoorListQueryDto): Promise<Page<DoorView>> {
    const { page, pageSize, skip, take } = pageWindow(q);
    const qb = this.doors.orm.createQueryBuilder('r').innerJoin(DeviceEntity, 'd', 'd.id = r.device_id');
    if (q.areaId) qb.andWhere('d.area_id IN (:...areaIds)', { areaIds: await this.areas.subtreeIds(q.areaId) });
    if (q.q) qb.andWhere('(r.name ILIKE :q OR d.alias ILIKE :q)', { q: likePattern(q.q) });
    const [rows, total] = await qb
      .orderBy('r.name', 'ASC')
      .addOrderBy('r.id', 'ASC')
      .skip(skip)
      .take(take)
      .getManyAndCount();
    const devices = rows.length ? await this.devices.orm.findBy({ id: In(rows.map((r) => r.deviceId)) }) : [];
    const areaIds = devices.map((d) => d.areaId).filter((v): v is string => v !== null);
    const areas = areaIds.length ? await this.areas.orm.findBy({ id: In(areaIds) }) : [];
    const device = new Map(devices.map((d) => [d.id, d]));
    const area = new Map(areas.map((a) => [a.id, a.name]));
    const items = rows.map((r): DoorView => {
      const d = device.get(r.deviceId);
      return {
        id: r.id,
        name: r.name,
        doorNo: r.doorNo,
        deviceId: r.deviceId,
        deviceName: d?.alias ?? '',
        deviceOnline: d?.online ?? false,
        areaName: d?.areaId ? (area.get(d.areaId) ?? null) : null,
        sensorState: r.sensorState,
        lockedDown: r.lockedDown,
        alarmState: r.alarmState,
      };
    });
    return { items, page, pageSize, total };
  }

  async unlock(
    doorId: string,
    seconds: number | undefined,
    key: string | undefined,
    who: Principal,
    client: ClientInfo,
  ): Promise<CommandOutcome> {
    await this.requireOnline(doorId);
    const command = await this.doorControl.openDoor(doorId, {
      seconds,
      idempotencyKey: key && `mobile:${who.subjectId}:unlock:${doorId}:${key}`,
      actor: actorOf(who),
    });
    await this.audit.record(who, client, 'door.unlock', `door:${doorId}`, {
      commandId: command.id,
      seconds: seconds ?? null,
    });
    return this.settle(command);
  }

  async cancelAlarm(
    doorId: string,
    key: string | undefined,
    who: Principal,
    client: ClientInfo,
  ): Promise<CommandOutcome> {
    await this.requireOnline(doorId);
    const command = await this.doorControl.cancelAlarm(doorId, {
      idempotencyKey: key && `mobile:${who.subjectId}:cancel-alarm:${doorId}:${key}`,
      actor: actorOf(who),
    });
    await this.audit.record(who, client, 'door.cancel-alarm', `door:${doorId}`, { commandId: command.id });
    return this.settle(command);
  }

  async lockdownGroups(): Promise<LockdownGroupView[]> {
    const rows = await this.groups.orm.find({ order: { name: 'ASC' }, take: 500 });
    return Promise.all(rows.map((g) => this.groupView(g)));
  }

  async activateLockdown(
    groupId: string,
    key: string | undefined,
    who: Principal,
    client: ClientInfo,
  ): Promise<LockdownGroupView> {
    await this.requireGroup(groupId);
    return this.once(key && `mobile:${who.subjectId}:lockdown-activate:${groupId}:${key}`, async () => {
      const { group, commands } = await this.lockdown.activate(groupId, actorOf(who));
      await this.audit.record(who, client, 'lockdown.activate', `lockdown-group:${groupId}`, {
        commands: commands.length,
      });
      return this.groupView(group);
    });
  }

  async cancelLockdown(
    groupId: string,
    key: string | undefined,
    who: Principal,
    client: ClientInfo,
  ): Promise<LockdownGroupView> {
    await this.requireGroup(groupId);
    return this.once(key && `mobile:${who.subjectId}:lockdown-cancel:${groupId}:${key}`, async () => {
      const { group, commands } = await this.lockdown.cancel(groupId, actorOf(who));
      await this.audit.record(who, client, 'lockdown.cancel', `lockdown-group:${groupId}`, {
        commands: commands.length,
      });
      return this.groupView(group);
    });
  }

  /**
   * Acts once per key: the first request acts and stores its answer; a retry with the same key
   * gets that answer (waiting while the first is still acting). Without a key, acts every time.
   */
  private async once(key: string | undefined, act: () => Promise<LockdownGroupView>): Promise<LockdownGroupView> {
    if (!key) return act();
    const deadline = Date.now() + IDEMPOTENT_WAIT_MS;
    for (;;) {
      if (await this.idempotency.claim(key)) {
        let view: LockdownGroupView;
        try {
          view = await act();
        } catch (err) {
          await this.idempotency.release(key);
          throw err;
        }
        await this.idempotency.complete(key, { ...view });
        return view;
      }
      const record = await this.idempotency.find(key);
      if (record?.result) return record.result as unknown as LockdownGroupView;
      if (Date.now() >= deadline) {
        throw new AccessCoreException(
          AccessCoreErrorCode.CONFLICT,
          'a request with this Idempotency-Key is still being carried out; retry later',
        );
      }
      // Pending (retry while the first is running) or released (the first failed: claim again).
      if (record) await new Promise((resolve) => setTimeout(resolve, IDEMPOTENT_POLL_MS));
    }
  }

  private async settle(command: DeviceCommandEntity): Promise<CommandOutcome> {
    if (command.status === 'acked' || command.status === 'failed') return outcome(command);
    return outcome(await this.commands.awaitResult(command.id, this.config.MOBILE_COMMAND_WAIT_MS));
  }

  private async requireOnline(doorId: string): Promise<void> {
    const door = await this.doors.findById(doorId);
    if (!door) throw new AccessCoreException(AccessCoreErrorCode.NOT_FOUND, `no door ${doorId}`);
    const device = await this.devices.findById(door.deviceId);
    if (!device?.online) {
      throw new AccessCoreException(
        AccessCoreErrorCode.DEVICE_OFFLINE,
        `the device of door "${door.name}" (${device?.alias ?? door.deviceId}) is offline`,
      );
    }
  }

  private async requireGroup(groupId: string): Promise<void> {
    if (!(await this.groups.findById(groupId))) {
      throw new AccessCoreException(AccessCoreErrorCode.NOT_FOUND, `no lockdown group ${groupId}`);
    }
  }

  private async groupView(g: LockdownGroupEntity): Promise<LockdownGroupView> {
    return {
      id: g.id,
      name: g.name,
      mode: g.mode,
      active: g.active,
      status: g.active ? 'Under Lockdown' : 'Normal',
      activatedBy: g.activatedBy,
      activatedAt: g.activatedAt?.toISOString() ?? null,
      doorCount: (await this.groups.doorIds(g.id)).length,
    };
  }
}
