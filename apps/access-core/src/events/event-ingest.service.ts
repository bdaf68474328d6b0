import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';
import { ROOT_LOGGER } from '../config/config.tokens';
import { AccessEventEntity, AlarmEntity, type EventSource } from '../domain/access-event.entity';
import { AccessEventRepository, type BatchEvent } from '../domain/access-event.repository';
import type { DeviceEntity } from '../domain/device.entity';
import { DomainEvents } from './domain-events';
import { EventDispatchService } from './event-dispatch.service';
import { EventLookups } from './event-lookups';
import { eventLevel, eventName } from './event-codes';
import { eventFingerprint } from './event-fingerprint';

/** One event as parsed from a terminal (or made up by access-core). */
export interface IncomingEvent {
  readonly source: EventSource;
  /** The device's record index (with the device and the fingerprint, the dedupe key), when it has one. */
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
 * Stores events with their level (docs/push-protocol.md §7 ranges) and name, links door and person, raises an Alarm
 * for every exception- or alarm-level event (the Alarm Center shows both levels), and
 * publishes `event.created` / `alarm.created` (followed up even across a crash: EventDispatchService). A batch (one terminal upload) costs a constant
 * number of round trips: doors and people come from EventLookups (one query each on a miss),
 * events and alarms are written by one statement.
 */
@Injectable()
export class EventIngestService {
  private readonly log: Logger;

  constructor(
    private readonly events: AccessEventRepository,
    private readonly lookups: EventLookups,
    private readonly bus: DomainEvents,
    private readonly dispatch: EventDispatchService,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.log = root.child({ component: 'event-ingest' });
  }

  /** Stores one event; undefined when the same record (device, index, fingerprint) is already stored. */
  async record(device: DeviceEntity | null, deviceSn: string, e: IncomingEvent): Promise<RecordedEvent | undefined> {
    return (await this.recordBatch(device, deviceSn, [e]))[0];
  }

  /**
   * Stores the events of one device in order; for each, what was stored, or undefined for a
   * re-send of an already stored record (same device, index and fingerprint; also within the
   * batch), which is logged. A record the database refuses (see AccessEventRepository.isRowError)
   * is reported to `onRejected` with its position in the batch and why, and also answered
   * undefined; the rest of the batch is stored. Domain events are emitted in the order of the
   * batch once all of it is stored.
   */
  async recordBatch(
    device: DeviceEntity | null,
    deviceSn: string,
    batch: readonly IncomingEvent[],
    onRejected?: (position: number, reason: string) => void,
  ): Promise<(RecordedEvent | undefined)[]> {
    if (batch.length === 0) return [];
    const doorNoOf = (e: IncomingEvent): number | null =>
      e.doorNo !== null && e.doorNo >= 1 && e.doorNo <= 4 ? e.doorNo : null;
    const pinOf = (e: IncomingEvent): string | null => (e.pin && e.pin !== '0' ? e.pin : null);
    const [doors, people] = await Promise.all([
      device && batch.some((e) => doorNoOf(e) !== null) ? this.lookups.doorsOf(device.id) : new Map<number, never>(),
      this.lookups.peopleWithPins(batch.map(pinOf).filter((p): p is string => p !== null)),
    ]);
    const rows: BatchEvent[] = batch.map((e) => {
      const level = eventLevel(e.code);
      const doorNo = doorNoOf(e);
      const pin = pinOf(e);
      return {
        id: randomUUID(),
        alarmId: level === 'normal' ? null : randomUUID(),
        event: {
          deviceSn,
          deviceId: device?.id ?? null,
          deviceIndex: e.deviceIndex,
          fingerprint: e.deviceIndex === null ? null : eventFingerprint(e),
          source: e.source,
          time: e.time,
          code: e.code,
          name: eventName(e.code),
          level,
          doorId: (doorNo !== null ? doors.get(doorNo)?.id : undefined) ?? null,
          doorNo: e.doorNo,
          pin,
          personId: (pin !== null ? people.get(pin)?.id : undefined) ?? null,
          cardNo: e.cardNo,
          verifyType: e.verifyType,
          inOut: e.inOut,
          picture: e.picture ?? null,
          raw: e.raw,
        },
      };
    });
    const { stored, rejected } = await this.events.insertBatch(rows);
    const out: (RecordedEvent | undefined)[] = [];
    const resent: string[] = [];
    for (const [position, r] of rows.entries()) {
      const refused = rejected.get(r.id);
      if (refused !== undefined) {
        if (onRejected) onRejected(position, refused);
        else
          this.log.warn({ sn: deviceSn, index: r.event.deviceIndex, reason: refused }, 'event refused by the database');
        out.push(undefined);
        continue;
      }
      const s = stored.get(r.id);
      if (!s) {
        resent.push(r.event.deviceIndex ?? '');
        out.push(undefined);
        continue;
      }
      const event = Object.assign(new AccessEventEntity(), r.event, { id: r.id, createdAt: s.eventCreatedAt });
      let alarm: AlarmEntity | null = null;
      if (r.alarmId !== null && s.alarmCreatedAt !== null && event.level !== 'normal') {
        alarm = Object.assign(new AlarmEntity(), {
          id: r.alarmId,
          eventId: r.id,
          level: event.level,
          confirmed: false,
          confirmedBy: null,
          confirmedAt: null,
          remark: null,
          createdAt: s.alarmCreatedAt,
        });
      }
      out.push({ event, alarm });
    }
    if (resent.length > 0) {
      // Deliberately not stored: the same record (index and content) is already there.
      this.log.info(
        { sn: deviceSn, skipped: resent.length, indexes: resent.slice(0, 20) },
        're-sent events already stored; skipped',
      );
    }
    // Emitted once the whole batch is stored, in order (listeners may read any of it back). The
    // follow-up of each event is tracked until it is done: if the process dies first, it is
    // taken up again from the stored rows after the restart.
    for (const r of out) {
      if (!r) continue;
      const work = [this.bus.emitAndWait('event.created', { event: r.event, device })];
      if (r.alarm) {
        this.log.info(
          { sn: deviceSn, code: r.event.code, level: r.alarm.level, eventId: r.event.id, alarmId: r.alarm.id },
          'alarm raised',
        );
        work.push(this.bus.emitAndWait('alarm.created', { alarm: r.alarm, event: r.event, device }));
      }
      this.dispatch.track(r.event.id, Promise.all(work));
    }
    return out;
  }
}
