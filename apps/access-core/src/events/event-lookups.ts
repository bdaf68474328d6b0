import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import {
  DataSource,
  In,
  type EntitySubscriberInterface,
  type InsertEvent,
  type QueryRunner,
  type RemoveEvent,
  type TransactionCommitEvent,
  type TransactionRollbackEvent,
  type UpdateEvent,
} from 'typeorm';
import type { AccessEventEntity } from '../domain/access-event.entity';
import { AreaEntity } from '../domain/area.entity';
import { DeviceEntity } from '../domain/device.entity';
import { AreaRepository, DeviceRepository, DoorRepository } from '../domain/device.repository';
import { DoorEntity } from '../domain/door.entity';
import { OperatorEntity } from '../domain/operator.entity';
import { OperatorRepository } from '../domain/operator.repository';
import { PersonEntity } from '../domain/person.entity';
import { PersonRepository } from '../domain/person.repository';

/** Names of an event's device, door, area and person, as the views show them. */
export interface EventContext {
  readonly deviceName: string | null;
  readonly deviceSn: string;
  readonly deviceId: string | null;
  readonly doorName: string | null;
  readonly doorId: string | null;
  readonly areaId: string | null;
  readonly areaName: string | null;
  readonly personName: string | null;
}

/** The person fields the event path needs. */
export interface PersonRef {
  readonly id: string;
  readonly pin: string;
  readonly name: string;
}

/** The operator fields the event path needs. */
export interface OperatorRef {
  readonly id: string;
  readonly notificationsEnabled: boolean;
}

/** Entries are dropped after this long even without a change (a backstop, not the mechanism). */
const TTL_MS = 60_000;
/** A map that grows beyond this is emptied (thousands of people swiping). */
const MAX_ENTRIES = 20_000;

const WATCHED = new Set<unknown>([DeviceEntity, DoorEntity, AreaEntity, PersonEntity, OperatorEntity]);

interface Entry<T> {
  readonly value: T;
  readonly at: number;
}

class TimedMap<K, V> {
  private readonly map = new Map<K, Entry<V>>();

  get(key: K, now: number): V | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (now - e.at > TTL_MS) {
      this.map.delete(key);
      return undefined;
    }
    return e.value;
  }

  has(key: K, now: number): boolean {
    return this.get(key, now) !== undefined;
  }

  set(key: K, value: V, now: number): void {
    if (this.map.size >= MAX_ENTRIES) this.map.clear();
    this.map.set(key, { value, at: now });
  }

  clear(): void {
    this.map.clear();
  }
}

/**
 * Cached look-ups for the event path (ingest, live alarms, notifications): devices, doors,
 * areas and people by id, doors by (device, number), people by pin, active operators. A write
 * of any of these entities through TypeORM (save, insert, update, delete, and the commit or
 * rollback of a transaction that wrote one) empties every cache, so a rename shows on the very
 * next event; a look-up that raced with a write is not stored. Nothing in access-core writes
 * those tables with raw SQL (keep it so, or call `invalidate()`).
 */
@Injectable()
export class EventLookups implements OnModuleDestroy {
  private generation = 0;
  private readonly devices = new TimedMap<string, DeviceEntity | null>();
  private readonly doorsByDevice = new TimedMap<string, ReadonlyMap<number, DoorEntity>>();
  private readonly doors = new TimedMap<string, DoorEntity | null>();
  private readonly areas = new TimedMap<string, AreaEntity | null>();
  private readonly peopleById = new TimedMap<string, PersonRef | null>();
  private readonly peopleByPin = new TimedMap<string, PersonRef | null>();
  private operators: Entry<readonly OperatorRef[]> | undefined;
  private readonly subscriber: EntitySubscriberInterface;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    private readonly deviceRepo: DeviceRepository,
    private readonly doorRepo: DoorRepository,
    private readonly areaRepo: AreaRepository,
    private readonly personRepo: PersonRepository,
    private readonly operatorRepo: OperatorRepository,
  ) {
    // Runners inside a transaction that wrote a watched entity: their commit invalidates again.
    const dirty = new WeakSet<QueryRunner>();
    const changed = (e: { metadata?: { target: unknown }; queryRunner?: QueryRunner }): void => {
      if (!e.metadata || !WATCHED.has(e.metadata.target)) return;
      if (e.queryRunner?.isTransactionActive) dirty.add(e.queryRunner);
      this.invalidate();
    };
    const ended = (e: TransactionCommitEvent | TransactionRollbackEvent): void => {
      if (!dirty.has(e.queryRunner)) return;
      dirty.delete(e.queryRunner);
      this.invalidate();
    };
    this.subscriber = {
      beforeInsert: (e: InsertEvent<unknown>) => changed(e),
      afterInsert: (e: InsertEvent<unknown>) => changed(e),
      beforeUpdate: (e: UpdateEvent<unknown>) => changed(e),
      afterUpdate: (e: UpdateEvent<unknown>) => changed(e),
      beforeRemove: (e: RemoveEvent<unknown>) => changed(e),
      afterRemove: (e: RemoveEvent<unknown>) => changed(e),
      beforeSoftRemove: (e: RemoveEvent<unknown>) => changed(e),
      afterSoftRemove: (e: RemoveEvent<unknown>) => changed(e),
      afterTransactionCommit: ended,
      afterTransactionRollback: ended,
    };
    this.dataSource.subscribers.push(this.subscriber);
  }

  onModuleDestroy(): void {
    const i = this.dataSource.subscribers.indexOf(this.subscriber);
    if (i >= 0) this.dataSource.subscribers.splice(i, 1);
  }

  /** Forgets everything cached (after a change made outside TypeORM's entity operations). */
  invalidate(): void {
    this.generation++;
    this.devices.clear();
    this.doorsByDevice.clear();
    this.doors.clear();
    this.areas.clear();
    this.peopleById.clear();
    this.peopleByPin.clear();
    this.operators = undefined;
  }

  /** The doors of a device by door number. */
  async doorsOf(deviceId: string): Promise<ReadonlyMap<number, DoorEntity>> {
    const now = Date.now();
    const hit = this.doorsByDevice.get(deviceId, now);
    if (hit) return hit;
    const gen = this.generation;
    const rows = await this.doorRepo.byDevice(deviceId);
    const map = new Map(rows.map((d) => [d.doorNo, d]));
    if (gen === this.generation) {
      this.doorsByDevice.set(deviceId, map, now);
      for (const d of rows) this.doors.set(d.id, d, now);
    }
    return map;
  }

  /** People by pin (missing pins absent), in one query for those not cached. */
  async peopleWithPins(pins: readonly string[]): Promise<Map<string, PersonRef>> {
    const now = Date.now();
    const out = new Map<string, PersonRef>();
    const missing: string[] = [];
    for (const pin of new Set(pins)) {
      const hit = this.peopleByPin.get(pin, now);
      if (hit === undefined) missing.push(pin);
      else if (hit) out.set(pin, hit);
    }
    if (missing.length === 0) return out;
    const gen = this.generation;
    const rows = await this.personRepo.orm.find({
      where: { pin: In(missing) },
      select: { id: true, pin: true, firstName: true, lastName: true },
    });
    const found = new Map(rows.map((p) => [p.pin, personRef(p)]));
    const store = gen === this.generation;
    for (const pin of missing) {
      const p = found.get(pin) ?? null;
      if (p) out.set(pin, p);
      if (store) this.peopleByPin.set(pin, p, now);
    }
    if (store) for (const p of found.values()) this.peopleById.set(p.id, p, now);
    return out;
  }

  /** Operators that are not disabled, by id. */
  async activeOperators(): Promise<readonly OperatorRef[]> {
    const now = Date.now();
    if (this.operators && now - this.operators.at <= TTL_MS) return this.operators.value;
    const gen = this.generation;
    const rows: OperatorRef[] = await this.operatorRepo.orm.find({
      where: { disabled: false },
      select: { id: true, notificationsEnabled: true },
      order: { id: 'ASC' },
    });
    if (gen === this.generation) this.operators = { value: rows, at: now };
    return rows;
  }

  /** Names for a batch of events (device, door, area, person), at most four queries on misses. */
  async contexts(events: readonly AccessEventEntity[]): Promise<Map<string, EventContext>> {
    const now = Date.now();
    const gen = this.generation;
    const missing = <T>(cache: TimedMap<string, T | null>, f: (e: AccessEventEntity) => string | null): string[] => [
      ...new Set(events.map(f).filter((v): v is string => v !== null && !cache.has(v, now))),
    ];
    const deviceIds = missing(this.devices, (e) => e.deviceId);
    const doorIds = missing(this.doors, (e) => e.doorId);
    const personIds = missing(this.peopleById, (e) => e.personId);
    const [devices, doors, people] = await Promise.all([
      deviceIds.length ? this.deviceRepo.orm.findBy({ id: In(deviceIds) }) : [],
      doorIds.length ? this.doorRepo.orm.findBy({ id: In(doorIds) }) : [],
      personIds.length
        ? this.personRepo.orm.find({
            where: { id: In(personIds) },
            select: { id: true, pin: true, firstName: true, lastName: true },
          })
        : [],
    ]);
    const device = new Map<string, DeviceEntity | null>(deviceIds.map((id) => [id, null]));
    for (const d of devices) device.set(d.id, d);
    const door = new Map<string, DoorEntity | null>(doorIds.map((id) => [id, null]));
    for (const d of doors) door.set(d.id, d);
    const person = new Map<string, PersonRef | null>(personIds.map((id) => [id, null]));
    for (const p of people) person.set(p.id, personRef(p));
    const deviceOf = (id: string): DeviceEntity | null => device.get(id) ?? this.devices.get(id, now) ?? null;
    const areaIds = [
      ...new Set(
        events
          .map((e) => (e.deviceId ? deviceOf(e.deviceId)?.areaId : undefined))
          .filter((v): v is string => typeof v === 'string' && !this.areas.has(v, now)),
      ),
    ];
    const areaRows = areaIds.length ? await this.areaRepo.orm.findBy({ id: In(areaIds) }) : [];
    const area = new Map<string, AreaEntity | null>(areaIds.map((id) => [id, null]));
    for (const a of areaRows) area.set(a.id, a);
    if (gen === this.generation) {
      for (const [id, v] of device) this.devices.set(id, v, now);
      for (const [id, v] of door) this.doors.set(id, v, now);
      for (const [id, v] of person) this.peopleById.set(id, v, now);
      for (const [id, v] of area) this.areas.set(id, v, now);
    }
    const out = new Map<string, EventContext>();
    for (const e of events) {
      const d = e.deviceId ? deviceOf(e.deviceId) : null;
      const a = d?.areaId ? (area.get(d.areaId) ?? this.areas.get(d.areaId, now) ?? null) : null;
      const r = e.doorId ? (door.get(e.doorId) ?? this.doors.get(e.doorId, now) ?? null) : null;
      const p = e.personId ? (person.get(e.personId) ?? this.peopleById.get(e.personId, now) ?? null) : null;
      out.set(e.id, {
        deviceName: d?.alias ?? null,
        deviceSn: e.deviceSn,
        deviceId: e.deviceId,
        doorName: r?.name ?? null,
        doorId: e.doorId,
        areaId: a?.id ?? null,
        areaName: a?.name ?? null,
        personName: p?.name ?? null,
      });
    }
    return out;
  }
}

function personRef(p: Pick<PersonEntity, 'id' | 'pin' | 'firstName' | 'lastName'>): PersonRef {
  return { id: p.id, pin: p.pin, name: `${p.firstName} ${p.lastName}`.trim() };
}
