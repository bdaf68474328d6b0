import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';
import { ROOT_LOGGER } from '../config/config.tokens';
import type { AccessEventEntity, AlarmEntity, EventSource } from '../domain/access-event.entity';
import { AccessEventRepository, AlarmRepository } from '../domain/access-event.repository';
import type { DeviceEntity } from '../domain/device.entity';
import { DoorRepository } from '../domain/device.repository';
import { PersonRepository } from '../domain/person.repository';
import { DomainEvents } from './domain-events';
import { eventLevel, eventName } from './event-codes';

/** One event as parsed from a terminal (or made up by access-core). */
export interface IncomingEvent {
  readonly source: EventSource;
  /** The device's record index (dedupe key with the device), when it has one. */
  readonly deviceIndex: string | null;
  readonly time: Date;
  readonly code: number;
  /** Door number (eventaddr); 0 or null = the device itself. */
  readonly doorNo: number | null;
  /** `0` / empty = nobody. */
  readonly pin: string | null;
  readonly cardNo: string | null;
  readonly verifyType: string | null;
  readonly inOut: number | null;
  readonly picture?: Buffer | null;
  readonly raw: string | null;
}

export interface RecordedEvent {
  readonly event: AccessEventEntity;
  readonly alarm: AlarmEntity | null;
}

/**
 * Stores events with their level (§7 ranges) and name, links door and person, raises an Alarm
 * for every exception- or alarm-level event (the Alarm Center shows both levels), and
 * publishes `event.created` / `alarm.created`.
 */
@Injectable()
export class EventIngestService {
  private readonly log: Logger;

  constructor(
    private readonly events: AccessEventRepository,
    private readonly alarms: AlarmRepository,
    private readonly doors: DoorRepository,
    private readonly people: PersonRepository,
    private readonly bus: DomainEvents,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.log = root.child({ component: 'event-ingest' });
  }

  /** Stores one event; undefined when it is a duplicate of an already stored (device, index). */
  async record(device: DeviceEntity | null, deviceSn: string, e: IncomingEvent): Promise<RecordedEvent | undefined> {
    const level = eventLevel(e.code);
    const doorNo = e.doorNo !== null && e.doorNo >= 1 && e.doorNo <= 4 ? e.doorNo : null;
    const door = device && doorNo !== null ? await this.doors.findByDeviceAndNo(device.id, doorNo) : null;
    const pin = e.pin && e.pin !== '0' ? e.pin : null;
    const person = pin ? await this.people.findByPin(pin) : null;
    const event = await this.events.insertUnlessDuplicate({
      deviceSn,
      deviceId: device?.id ?? null,
      deviceIndex: e.deviceIndex,
      source: e.source,
      time: e.time,
      code: e.code,
      name: eventName(e.code),
      level,
      doorId: door?.id ?? null,
      doorNo: e.doorNo,
      pin,
      personId: person?.id ?? null,
      cardNo: e.cardNo,
      verifyType: e.verifyType,
      inOut: e.inOut,
      picture: e.picture ?? null,
      raw: e.raw,
    });
    if (!event) {
      this.log.debug({ sn: deviceSn, index: e.deviceIndex, code: e.code }, 'duplicate event ignored');
      return undefined;
    }
    this.bus.emit('event.created', { event, device });
    if (level === 'normal') return { event, alarm: null };
    const alarm = await this.alarms.orm.save(this.alarms.orm.create({ eventId: event.id, level, confirmed: false }));
    this.log.info({ sn: deviceSn, code: e.code, level, eventId: event.id, alarmId: alarm.id }, 'alarm raised');
    this.bus.emit('alarm.created', { alarm, event, device });
    return { event, alarm };
  }
}
