import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';
import { ROOT_LOGGER } from '../config/config.tokens';
import type { DeviceEntity } from '../domain/device.entity';
import { AreaRepository, DeviceRepository, DoorRepository } from '../domain/device.repository';
import { AccessCoreErrorCode, AccessCoreException } from '../http/access-core.exception';
import { Clock } from '../system/clock';
import { DeviceSessionService } from './device-session.service';

export interface ApproveOptions {
  /** The area it serves; default: the default area. */
  readonly areaId?: string;
  /** Its display name; default: the name it has (model + serial number). */
  readonly name?: string;
}

/**
 * An operator's decision on a terminal (docs/architecture.md, "Terminal approval"). Approval
 * places it in an area and creates its doors; its next registration (within the terminal's
 * ErrorDelay) is its first contact and brings the normal synchronisation of people, rights and
 * time zones. Rejection refuses it from then on, whatever it had before.
 */
@Injectable()
export class DeviceApprovalService {
  private readonly log: Logger;

  constructor(
    private readonly devices: DeviceRepository,
    private readonly areas: AreaRepository,
    private readonly doors: DoorRepository,
    private readonly sessions: DeviceSessionService,
    private readonly clock: Clock,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.log = root.child({ component: 'device-approval' });
  }

  /** @throws AccessCoreException NOT_FOUND (device or area), CONFLICT when already approved. */
  async approve(id: string, opts: ApproveOptions, actor: string): Promise<DeviceEntity> {
    const device = await this.require(id);
    if (device.approval === 'approved') {
      throw new AccessCoreException(AccessCoreErrorCode.CONFLICT, `device ${device.sn} is already approved`);
    }
    let areaId: string;
    if (opts.areaId !== undefined) {
      if (!(await this.areas.orm.existsBy({ id: opts.areaId }))) {
        throw new AccessCoreException(AccessCoreErrorCode.NOT_FOUND, `no area ${opts.areaId}`);
      }
      areaId = opts.areaId;
    } else {
      areaId = (await this.areas.defaultArea()).id;
    }
    const now = this.clock.now();
    // No RegistryCode: its next registration is a first contact, which synchronises it.
    await this.devices.orm.update(
      { id: device.id },
      {
        approval: 'approved',
        areaId,
        alias: opts.name ?? device.alias,
        decidedBy: actor,
        decidedAt: now,
        registryCode: null,
        sessionId: null,
        updatedAt: now,
      },
    );
    const approved = await this.require(id);
    await this.doors.ensureForDevice(approved);
    await this.sessions.reload(approved);
    this.log.info(
      { sn: approved.sn, areaId, name: approved.alias, actor, was: device.approval },
      'device approved; it is synchronised when it next registers',
    );
    return approved;
  }

  /** @throws AccessCoreException NOT_FOUND, CONFLICT when already rejected. */
  async reject(id: string, actor: string): Promise<DeviceEntity> {
    const device = await this.require(id);
    if (device.approval === 'rejected') {
      throw new AccessCoreException(AccessCoreErrorCode.CONFLICT, `device ${device.sn} is already rejected`);
    }
    const now = this.clock.now();
    await this.devices.orm.update(
      { id: device.id },
      { approval: 'rejected', decidedBy: actor, decidedAt: now, updatedAt: now },
    );
    const rejected = await this.require(id);
    await this.sessions.reload(rejected);
    this.log.warn({ sn: rejected.sn, actor, was: device.approval }, 'device rejected; it is refused from now on');
    return rejected;
  }

  private async require(id: string): Promise<DeviceEntity> {
    const device = await this.devices.findById(id);
    if (!device) throw new AccessCoreException(AccessCoreErrorCode.NOT_FOUND, `no device ${id}`);
    return device;
  }
}
