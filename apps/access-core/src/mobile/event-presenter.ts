import { Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import type { AccessEventEntity, AlarmEntity } from '../domain/access-event.entity';
import { AreaRepository, DeviceRepository, DoorRepository } from '../domain/device.repository';
import { PersonRepository } from '../domain/person.repository';
import { verifyModeName } from '../events/event-codes';
import type { EventContext } from '../events/event-lookups';
import type { AlarmView, AlarmDetailView, AccessRecordView } from '@lanbridge/mobile-api';
export type { AlarmView, AlarmDetailView, AccessRecordView } from '@lanbridge/mobile-api';

export type { EventContext } from '../events/event-lookups';

/** Events granted by the terminal (normal access, remote-verified QR). */
const GRANTED_CODES = new Set([0, 1, 2, 3, 4, 5, 14, 15, 16, 17, 18, 19, 222]);

export function describe(event: AccessEventEntity, ctx: EventContext): string {
  const where = ctx.deviceName ?? ctx.deviceSn;
  return `${event.name} on ${where}${ctx.doorName ? ` (${ctx.doorName})` : ''}`;
}

/** Loads names (device, door, area, person) for a batch of events in four queries. */
@Injectable()
export class EventPresenter {
  constructor(
    private readonly devices: DeviceRepository,
    private readonly doors: DoorRepository,
    private readonly areas: AreaRepository,
    private readonly people: PersonRepository,
  ) {}

  async contexts(events: readonly AccessEventEntity[]): Promise<Map<string, EventContext>> {
    const ids = <T>(f: (e: AccessEventEntity) => T | null): T[] => [
      ...new Set(events.map(f).filter((v): v is T => v !== null)),
    ];
    const deviceIds = ids((e) => e.deviceId);
    const doorIds = ids((e) => e.doorId);
    const personIds = ids((e) => e.personId);
    const [devices, doors, people] = await Promise.all([
      deviceIds.length ? this.devices.orm.findBy({ id: In(deviceIds) }) : [],
      doorIds.length ? this.doors.orm.findBy({ id: In(doorIds) }) : [],
      personIds.length
        ? this.people.orm.find({ where: { id: In(personIds) }, select: { id: true, firstName: true, lastName: true } })
        : [],
    ]);
    const areaIds = [...new Set(devices.map((d) => d.areaId).filter((v): v is string => v !== null))];
    const areas = areaIds.length ? await this.areas.orm.findBy({ id: In(areaIds) }) : [];
    const device = new Map(devices.map((d) => [d.id, d]));
    const door = new Map(doors.map((d) => [d.id, d]));
    const area = new Map(areas.map((a) => [a.id, a]));
    const person = new Map(people.map((p) => [p.id, `${p.firstName} ${p.lastName}`.trim()]));
    const out = new Map<string, EventContext>();
    for (const e of events) {
      const d = e.deviceId ? device.get(e.deviceId) : undefined;
      const a = d?.areaId ? area.get(d.areaId) : undefined;
      out.set(e.id, {
        deviceName: d?.alias ?? null,
        deviceSn: e.deviceSn,
        deviceId: e.deviceId,
        doorName: e.doorId ? (door.get(e.doorId)?.name ?? null) : null,
        doorId: e.doorId,
        areaId: a?.id ?? null,
        areaName: a?.name ?? null,
        personName: e.personId ? (person.get(e.personId) ?? null) : null,
      });
    }
    return out;
  }

  alarm(alarm: AlarmEntity, event: AccessEventEntity, ctx: EventContext): AlarmView {
    return {
      id: alarm.id,
      eventId: event.id,
      time: event.time.toISOString(),
      level: alarm.level,
      confirmed: alarm.confirmed,
      eventCode: event.code,
      eventName: event.name,
      description: describe(event, ctx),
      deviceId: ctx.deviceId,
      deviceName: ctx.deviceName,
      doorId: ctx.doorId,
      doorName: ctx.doorName,
      areaName: ctx.areaName,
      hasPicture: event.picture !== null && event.picture.length > 0,
      pictureUrl: `/api/v1/alarms/${alarm.id}/picture`,
    };
  }

  alarmDetail(alarm: AlarmEntity, event: AccessEventEntity, ctx: EventContext): AlarmDetailView {
    return {
      ...this.alarm(alarm, event, ctx),
      areaId: ctx.areaId,
      deviceSn: event.deviceSn,
      source: ctx.doorName ?? (event.doorNo ? `Door ${event.doorNo}` : 'Device'),
      pin: event.pin,
      personName: ctx.personName,
      verifyMode: verifyModeName(event.verifyType) ?? null,
      confirmedBy: alarm.confirmedBy,
      confirmedAt: alarm.confirmedAt?.toISOString() ?? null,
      remark: alarm.remark,
    };
  }

  accessRecord(event: AccessEventEntity, ctx: EventContext): AccessRecordView {
    const hasPicture = event.picture !== null && event.picture.length > 0;
    return {
      id: event.id,
      time: event.time.toISOString(),
      eventCode: event.code,
      eventName: event.name,
      level: event.level,
      granted: GRANTED_CODES.has(event.code),
      pin: event.pin,
      personName: ctx.personName,
      cardNo: event.cardNo,
      verifyMode: verifyModeName(event.verifyType) ?? null,
      direction: event.inOut === 0 ? 'in' : event.inOut === 1 ? 'out' : null,
      deviceId: ctx.deviceId,
      deviceName: ctx.deviceName,
      doorId: ctx.doorId,
      doorName: ctx.doorName,
      areaName: ctx.areaName,
      hasPicture,
      pictureUrl: hasPicture ? `/api/v1/access-records/${event.id}/picture` : null,
    };
  }
}
