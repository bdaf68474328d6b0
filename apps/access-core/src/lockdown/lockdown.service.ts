import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { In } from 'typeorm';
import type { Logger } from '@lanbridge/logging';
import { ROOT_LOGGER } from '../config/config.tokens';
import type { DeviceCommandEntity } from '../domain/device-command.entity';
import { DeviceCommandRepository } from '../domain/device-command.repository';
import type { DeviceEntity } from '../domain/device.entity';
import { DoorRepository } from '../domain/device.repository';
import type { LockdownGroupEntity } from '../domain/lockdown-group.entity';
import { LockdownGroupRepository } from '../domain/lockdown-group.repository';
import { DomainEvents } from '../events/domain-events';
import { AccessCoreErrorCode, AccessCoreException } from '../http/access-core.exception';
import { DoorControlService } from '../terminals/door-control.service';

export interface LockdownResult {
  readonly group: LockdownGroupEntity;
  /** The lock (or unlock) command of each door, for outcome tracking. */
  readonly commands: readonly DeviceCommandEntity[];
}

/**
 * Lockdown groups (docs/push-protocol.md §9): activating one remotely locks every door in it (normal-open
 * cancelled first), marks the doors Under Lockdown and keeps them so: the lock is re-sent when
 * a device starts a new session (restart, reconnect), because terminals forget a remote lock
 * on power-cycle. Cancelling unlocks the doors no other active group still holds.
 */
@Injectable()
export class LockdownService implements OnModuleInit, OnModuleDestroy {
  private readonly log: Logger;
  private readonly unsubscribe: Array<() => void> = [];

  constructor(
    private readonly groups: LockdownGroupRepository,
    private readonly doors: DoorRepository,
    private readonly control: DoorControlService,
    private readonly commands: DeviceCommandRepository,
    private readonly bus: DomainEvents,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.log = root.child({ component: 'lockdown' });
  }

  onModuleInit(): void {
    const reapply = (device: DeviceEntity): void => {
      this.reapplyForDevice(device).catch((err: unknown) =>
        this.log.error({ err, sn: device.sn }, 're-applying lockdown failed'),
      );
    };
    this.unsubscribe.push(
      this.bus.on('device.session', ({ device }) => reapply(device)),
      this.bus.on('device.status', ({ device, online }) => {
        if (online) reapply(device);
      }),
    );
  }

  onModuleDestroy(): void {
    for (const off of this.unsubscribe.splice(0)) off();
  }

  /** @throws AccessCoreException NOT_FOUND for an unknown group. */
  async activate(groupId: string, actor: string): Promise<LockdownResult> {
    const group = await this.requireGroup(groupId);
    const doorIds = await this.groups.doorIds(group.id);
    const now = new Date();
    await this.groups.orm.update({ id: group.id }, { active: true, activatedBy: actor, activatedAt: now });
    if (doorIds.length > 0) await this.doors.orm.update({ id: In(doorIds) }, { lockedDown: true, normalOpen: false });
    const commands: DeviceCommandEntity[] = [];
    for (const doorId of doorIds) {
      const command = await this.unlessNotApproved(() =>
        this.control.lockDoor(doorId, { actor, queueWhenOffline: true }),
      );
      if (command) commands.push(command);
    }
    const updated = await this.requireGroup(group.id);
    this.log.info({ group: group.name, doors: doorIds.length, actor }, 'lockdown activated');
    this.bus.emit('lockdown.changed', { group: updated });
    return { group: updated, commands };
  }

  /** @throws AccessCoreException NOT_FOUND for an unknown group. */
  async cancel(groupId: string, actor: string): Promise<LockdownResult> {
    const group = await this.requireGroup(groupId);
    await this.groups.orm.update({ id: group.id }, { active: false, activatedBy: actor, activatedAt: new Date() });
    const doorIds = await this.groups.doorIds(group.id);
    const stillHeld = await this.doorsHeldByActiveGroups();
    const commands: DeviceCommandEntity[] = [];
    for (const doorId of doorIds) {
      if (stillHeld.has(doorId)) continue;
      await this.doors.orm.update({ id: doorId }, { lockedDown: false });
      const command = await this.unlessNotApproved(() =>
        this.control.unlockDoor(doorId, { actor, queueWhenOffline: true }),
      );
      if (command) commands.push(command);
    }
    const updated = await this.requireGroup(group.id);
    this.log.info({ group: group.name, unlocked: commands.length, actor }, 'lockdown cancelled');
    this.bus.emit('lockdown.changed', { group: updated });
    return { group: updated, commands };
  }

  /** Re-sends the lock of every Under-Lockdown door of a device (skipping locks still queued). */
  async reapplyForDevice(device: DeviceEntity): Promise<number> {
    const locked = (await this.doors.byDevice(device.id)).filter((d) => d.lockedDown);
    let sent = 0;
    for (const door of locked) {
      const pending = await this.commands.orm
        .createQueryBuilder('c')
        .where("c.device_id = :deviceId AND c.kind = 'lock' AND c.status = 'queued' AND c.meta->>'doorId' = :doorId", {
          deviceId: device.id,
          doorId: door.id,
        })
        .getExists();
      if (pending) continue;
      await this.control.lockDoor(door.id, { actor: 'system:lockdown-reapply', queueWhenOffline: true });
      sent++;
    }
    if (sent > 0) this.log.info({ sn: device.sn, doors: sent }, 'lockdown re-applied');
    return sent;
  }

  /**
   * A door of a device that is no longer approved gets no command; its Under Lockdown mark
   * stays, and the lock is re-applied if the device is approved again and registers.
   */
  private async unlessNotApproved(send: () => Promise<DeviceCommandEntity>): Promise<DeviceCommandEntity | undefined> {
    try {
      return await send();
    } catch (err) {
      if (err instanceof AccessCoreException && err.code === AccessCoreErrorCode.DEVICE_NOT_APPROVED) {
        this.log.warn({ reason: err.message }, 'lockdown command not sent to a device that is not approved');
        return undefined;
      }
      throw err;
    }
  }

  private async doorsHeldByActiveGroups(): Promise<Set<string>> {
    const active = await this.groups.orm.findBy({ active: true });
    if (active.length === 0) return new Set();
    const rows = await this.groups.groupDoors.findBy({ lockdownGroupId: In(active.map((g) => g.id)) });
    return new Set(rows.map((r) => r.doorId));
  }

  private async requireGroup(id: string): Promise<LockdownGroupEntity> {
    const group = await this.groups.findById(id);
    if (!group) throw new AccessCoreException(AccessCoreErrorCode.NOT_FOUND, `no lockdown group ${id}`);
    return group;
  }
}
