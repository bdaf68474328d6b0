import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';
import { ROOT_LOGGER } from '../config/config.tokens';
import type { DeviceCommandEntity } from '../domain/device-command.entity';
import type { DeviceEntity } from '../domain/device.entity';
import { DeviceRepository, DoorRepository } from '../domain/device.repository';
import type { DoorEntity } from '../domain/door.entity';
import { LockdownGroupRepository } from '../domain/lockdown-group.repository';
import { AccessCoreErrorCode, AccessCoreException } from '../http/access-core.exception';
import { DeviceCommandService } from './device-command.service';
import { DeviceSessionService } from './device-session.service';
import { ControlOp, controlDevice } from './push-codec';

export interface DoorCommandOptions {
  /** A retried request with the same key returns the first command (even if the device went offline since). */
  readonly idempotencyKey?: string;
  /** Who asked (operation log / command meta), e.g. `operator:admin`. */
  readonly actor?: string;
  /**
   * Queue even when the device is offline (it runs when the device is back). Remote control
   * from the app leaves this off so the user gets DEVICE_OFFLINE at once.
   */
  readonly queueWhenOffline?: boolean;
}

/** Remote door operations (`CONTROL DEVICE`, docs/push-protocol.md §3.1, §8), each one queued command. */
@Injectable()
export class DoorControlService {
  private readonly log: Logger;

  constructor(
    private readonly doors: DoorRepository,
    private readonly devices: DeviceRepository,
    private readonly commands: DeviceCommandService,
    private readonly sessions: DeviceSessionService,
    private readonly lockdownGroups: LockdownGroupRepository,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.log = root.child({ component: 'door-control' });
  }

  /**
   * Opens the door for `seconds` (default: the door's drive time), 1–254. Refused with
   * DOOR_LOCKED_DOWN while the door is under lockdown: the lockdown is an operator's safety
   * decision, and the way past it is to cancel it (DEVELOPMENT.md, "Remote unlock during a
   * lockdown").
   */
  openDoor(doorId: string, opts: DoorCommandOptions & { seconds?: number } = {}): Promise<DeviceCommandEntity> {
    return this.run(doorId, 'open-door', opts, async (door, device) => {
      const seconds = opts.seconds ?? door.driveTimeSec;
      if (!Number.isInteger(seconds) || seconds < 1 || seconds > 254) {
        throw new AccessCoreException(AccessCoreErrorCode.VALIDATION_FAILED, 'seconds must be an integer 1–254');
      }
      if (door.lockedDown) {
        const groups = await this.lockdownGroups.activeNamesForDoor(door.id);
        this.log.warn(
          { sn: device.sn, door: door.doorNo, actor: opts.actor, groups },
          'remote unlock refused: the door is under lockdown',
        );
        throw new AccessCoreException(
          AccessCoreErrorCode.DOOR_LOCKED_DOWN,
          `door "${door.name}" is under lockdown${groups.length ? ` (${groups.join(', ')})` : ''}; cancel the lockdown to open it`,
        );
      }
      return [controlDevice(ControlOp.OUTPUT, door.doorNo, 0x01, seconds)];
    });
  }

  /** Cancels the door's alarm (forced open, open too long…). */
  cancelAlarm(doorId: string, opts: DoorCommandOptions = {}): Promise<DeviceCommandEntity> {
    return this.run(doorId, 'cancel-alarm', opts, (door) => [controlDevice(ControlOp.CANCEL_ALARM, door.doorNo, 0, 0)]);
  }

  /** Remote lock (credentials give 63; the exit button still works). Cancels normal-open first. */
  lockDoor(doorId: string, opts: DoorCommandOptions = {}): Promise<DeviceCommandEntity> {
    return this.run(doorId, 'lock', opts, (door) => [
      controlDevice(ControlOp.NORMAL_OPEN, door.doorNo, 0x00, 0),
      controlDevice(ControlOp.LOCK, door.doorNo, 0x01, 0),
    ]);
  }

  /** Releases a remote lock. */
  unlockDoor(doorId: string, opts: DoorCommandOptions = {}): Promise<DeviceCommandEntity> {
    return this.run(doorId, 'unlock', opts, (door) => [controlDevice(ControlOp.LOCK, door.doorNo, 0x00, 0)]);
  }

  /** Normal-open (passage mode) for today on or off. */
  async setNormalOpen(doorId: string, enabled: boolean, opts: DoorCommandOptions = {}): Promise<DeviceCommandEntity> {
    const command = await this.run(doorId, enabled ? 'normal-open' : 'normal-open-off', opts, (door) => {
      if (enabled && door.lockedDown) {
        throw new AccessCoreException(AccessCoreErrorCode.CONFLICT, 'the door is under lockdown');
      }
      return [controlDevice(ControlOp.NORMAL_OPEN, door.doorNo, enabled ? 0x01 : 0x00, 0)];
    });
    await this.doors.orm.update({ id: doorId }, { normalOpen: enabled });
    return command;
  }

  /**
   * Queues the command lines for a door. With several lines, all but the last are
   * preparations; the last one's row is returned (its result is the operation's result).
   */
  async run(
    doorId: string,
    kind: string,
    opts: DoorCommandOptions,
    build: (door: DoorEntity, device: DeviceEntity) => string[] | Promise<string[]>,
  ): Promise<DeviceCommandEntity> {
    if (opts.idempotencyKey) {
      const earlier = await this.commands.findByIdempotencyKey(opts.idempotencyKey);
      if (earlier) return earlier;
    }
    const door = await this.doors.findById(doorId);
    if (!door) throw new AccessCoreException(AccessCoreErrorCode.NOT_FOUND, `no door ${doorId}`);
    const device = await this.devices.findById(door.deviceId);
    if (!device) throw new AccessCoreException(AccessCoreErrorCode.NOT_FOUND, `door ${doorId} has no device`);
    if (device.approval !== 'approved') {
      throw new AccessCoreException(
        AccessCoreErrorCode.DEVICE_NOT_APPROVED,
        `device ${device.alias} (${device.sn}) is ${device.approval}; an operator must approve it first`,
      );
    }
    if (!opts.queueWhenOffline && !this.sessions.isOnline(device.id)) {
      throw new AccessCoreException(
        AccessCoreErrorCode.DEVICE_OFFLINE,
        `device ${device.alias} (${device.sn}) is offline; the command was not sent`,
      );
    }
    const lines = await build(door, device);
    const meta = { doorId: door.id, doorNo: door.doorNo, actor: opts.actor ?? null };
    let last: DeviceCommandEntity | undefined;
    for (const [i, text] of lines.entries()) {
      const isLast = i === lines.length - 1;
      last = await this.commands.enqueue(device.id, text, {
        kind: isLast ? kind : `${kind}-prepare`,
        idempotencyKey: isLast ? opts.idempotencyKey : undefined,
        meta,
      });
    }
    if (!last) throw new Error(`no command built for ${kind}`);
    this.log.info(
      { sn: device.sn, door: door.doorNo, kind, actor: opts.actor, cmdId: last.cmdId },
      'door command queued',
    );
    return last;
  }
}
