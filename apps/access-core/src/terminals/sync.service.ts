import { Inject, Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import type { Logger } from '@lanbridge/logging';
import { ROOT_LOGGER } from '../config/config.tokens';
import { TIME_ZONE_DAYS, type TimeZoneEntity } from '../domain/access-level.entity';
import { AccessLevelRepository } from '../domain/access-level.repository';
import type { DeviceEntity } from '../domain/device.entity';
import { DeviceRepository, DoorRepository } from '../domain/device.repository';
import type { PersonEntity } from '../domain/person.entity';
import { PersonRepository } from '../domain/person.repository';
import { DeviceCommandService } from './device-command.service';
import { dataDelete, dataUpdate, encodePushTime, encodeTimeSlot } from './push-codec';

/** Time zone 1 on the terminals means "24 h" when no row defines it. */
const ALWAYS_TZ = 1;

/** Per device: time-zone id on the device → door bitmask (door 1 = 1, 2 = 2, 3 = 4, 4 = 8). */
type Grants = Map<string, Map<number, number>>;

/**
 * Pushes people and access rights to the approved terminals as DATA commands (docs/push-protocol.md §3.2): `user`,
 * `userauthorize` (door bitmask per time zone) and `timezone`. Commands are queued, so an
 * offline device receives them when it is back.
 */
@Injectable()
export class SyncService {
  private readonly log: Logger;

  constructor(
    private readonly people: PersonRepository,
    private readonly levels: AccessLevelRepository,
    private readonly devices: DeviceRepository,
    private readonly doors: DoorRepository,
    private readonly commands: DeviceCommandService,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.log = root.child({ component: 'sync' });
  }

  /** Sends a person (card, validity, disabled) and their door rights to every terminal. */
  async pushPerson(personId: string): Promise<void> {
    const person = await this.people.findById(personId);
    if (!person) return;
    const grants = await this.grantsOf(person.id);
    const devices = await this.devices.orm.findBy({ approval: 'approved' });
    for (const device of devices) await this.queuePerson(device, person, grants.get(device.id));
    this.log.info({ pin: person.pin, devices: devices.length }, 'person pushed');
  }

  /** Removes a person from every terminal (after deletion or erasure). */
  async removePerson(pin: string): Promise<void> {
    for (const device of await this.devices.orm.findBy({ approval: 'approved' })) {
      if (device.protocol === 'att') {
        await this.commands.enqueue(device.id, dataDelete('USERINFO', [['PIN', pin]]), { kind: 'data-user-delete' });
      } else {
        await this.commands.enqueue(device.id, dataDelete('userauthorize', [['Pin', pin]]), {
          kind: 'data-user-delete',
        });
        await this.commands.enqueue(device.id, dataDelete('user', [['Pin', pin]]), { kind: 'data-user-delete' });
      }
    }
  }

  /** After a level's doors, time zone or members changed: its time zone, then every member. */
  async pushAccessLevel(levelId: string): Promise<void> {
    const level = await this.levels.findById(levelId);
    if (!level) return;
    if (level.timeZoneId) await this.pushTimeZone(level.timeZoneId);
    for (const personId of await this.levels.personIds(levelId)) await this.pushPerson(personId);
  }

  /** Sends a time zone's weekly slots to every acc terminal. */
  async pushTimeZone(timeZoneId: string): Promise<void> {
    const tz = await this.levels.timeZones.findOneBy({ id: timeZoneId });
    if (!tz) return;
    for (const device of await this.devices.orm.findBy({ protocol: 'acc', approval: 'approved' })) {
      await this.commands.enqueue(device.id, this.timeZoneCommand(tz), { kind: 'data-timezone' });
    }
  }

  /**
   * Everything a (new) terminal needs: all time zones and all people with their rights on it.
   * Only for an approved terminal: personal data never goes to a device nobody approved.
   */
  async syncDevice(deviceId: string): Promise<void> {
    const device = await this.devices.findById(deviceId);
    if (!device) return;
    if (device.approval !== 'approved') {
      this.log.warn(
        { sn: device.sn, approval: device.approval },
        'synchronisation of a device that is not approved refused',
      );
      return;
    }
    if (device.protocol === 'acc') {
      for (const tz of await this.levels.timeZones.find()) {
        await this.commands.enqueue(device.id, this.timeZoneCommand(tz), { kind: 'data-timezone' });
      }
    }
    const people = await this.people.orm.find();
    for (const person of people) {
      const grants = await this.grantsOf(person.id);
      await this.queuePerson(device, person, grants.get(device.id));
    }
    this.log.info({ sn: device.sn, people: people.length }, 'device synchronised');
  }

  private async queuePerson(
    device: DeviceEntity,
    person: PersonEntity,
    grants: Map<number, number> | undefined,
  ): Promise<void> {
    const name = `${person.firstName} ${person.lastName}`.trim();
    if (device.protocol === 'att') {
      await this.commands.enqueue(
        device.id,
        dataUpdate('USERINFO', [
          ['PIN', person.pin],
          ['Name', name],
          ['Pri', 0],
          ['Passwd', ''],
          ['Card', person.cardNo ?? ''],
          ['Grp', 1],
          ['TZ', '0000000000000000'],
        ]),
        { kind: 'data-user', meta: { personId: person.id } },
      );
      return;
    }
    const meta = { personId: person.id };
    await this.commands.enqueue(
      device.id,
      dataUpdate('user', [
        ['CardNo', person.cardNo ?? ''],
        ['Pin', person.pin],
        ['Password', ''],
        ['Group', 0],
        ['StartTime', person.validFrom ? encodePushTime(person.validFrom) : 0],
        ['EndTime', person.validTo ? encodePushTime(person.validTo) : 0],
        ['Name', name],
        ['Privilege', 0],
        ['Disable', person.disabled ? 1 : 0],
      ]),
      { kind: 'data-user', meta },
    );
    await this.commands.enqueue(device.id, dataDelete('userauthorize', [['Pin', person.pin]]), {
      kind: 'data-userauthorize',
      meta,
    });
    for (const [tzId, mask] of grants ?? []) {
      await this.commands.enqueue(
        device.id,
        dataUpdate('userauthorize', [
          ['Pin', person.pin],
          ['AuthorizeTimezoneId', tzId],
          ['AuthorizeDoorId', mask],
          ['DevID', 1],
        ]),
        { kind: 'data-userauthorize', meta },
      );
    }
  }

  /** A person's door rights, compiled per device and time zone. */
  private async grantsOf(personId: string): Promise<Grants> {
    const grants: Grants = new Map();
    const levels = await this.levels.levelsOfPerson(personId);
    if (levels.length === 0) return grants;
    const tzIds = levels.map((l) => l.timeZoneId).filter((id): id is string => id !== null);
    const tzs = tzIds.length > 0 ? await this.levels.timeZones.findBy({ id: In(tzIds) }) : [];
    const deviceTz = new Map(tzs.map((t) => [t.id, t.deviceTzId]));
    for (const level of levels) {
      const tzNo = (level.timeZoneId && deviceTz.get(level.timeZoneId)) || ALWAYS_TZ;
      const doors = await this.doors.byIds(await this.levels.doorIds(level.id));
      for (const door of doors) {
        const perDevice = grants.get(door.deviceId) ?? new Map<number, number>();
        grants.set(door.deviceId, perDevice);
        perDevice.set(tzNo, (perDevice.get(tzNo) ?? 0) | (1 << (door.doorNo - 1)));
      }
    }
    return grants;
  }

  private timeZoneCommand(tz: TimeZoneEntity): string {
    const pairs: Array<[string, number]> = [['TimezoneId', tz.deviceTzId]];
    for (const day of TIME_ZONE_DAYS) {
      const slots = tz.slots[day] ?? [];
      for (let i = 0; i < 3; i++) {
        const s = slots[i];
        pairs.push([`${day}Time${i + 1}`, s ? (encodeTimeSlot(s.start, s.end) ?? 0) : 0]);
      }
    }
    return dataUpdate('timezone', pairs);
  }
}
