import { Inject, Injectable } from '@nestjs/common';
import { DataSource, In, IsNull, type Repository } from 'typeorm';
import { AreaEntity } from './area.entity';
import { DeviceEntity } from './device.entity';
import { DoorEntity, ReaderEntity } from './door.entity';
import { OrmRepository } from './orm-repository';

export const DEFAULT_AREA_NAME = 'Default area';
/** Advisory lock key of the default area's creation (any constant of our own). */
const DEFAULT_AREA_LOCK = 0x4c62_6441;

@Injectable()
export class AreaRepository extends OrmRepository<AreaEntity> {
  constructor(@Inject(DataSource) dataSource: DataSource) {
    super(dataSource, AreaEntity);
  }

  /**
   * The root area auto-enrolled devices land in; created on first use. Area names are not
   * unique, so terminals that enrol at the same moment are serialised on a transaction lock
   * here, or each would create a "Default area" of its own.
   */
  async defaultArea(): Promise<AreaEntity> {
    const found = await this.orm.findOneBy({ name: DEFAULT_AREA_NAME, parentId: IsNull() });
    if (found) return found;
    return this.orm.manager.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock(${DEFAULT_AREA_LOCK})`);
      const repo = m.getRepository(AreaEntity);
      const won = await repo.findOneBy({ name: DEFAULT_AREA_NAME, parentId: IsNull() });
      return won ?? repo.save(repo.create({ name: DEFAULT_AREA_NAME, parentId: null }));
    });
  }

  /** `areaId` and every area below it (for "filter by area"). */
  async subtreeIds(areaId: string): Promise<string[]> {
    const rows: { id: string }[] = await this.orm.query(
      `WITH RECURSIVE sub AS (
         SELECT id FROM ${this.table} WHERE id = $1
         UNION ALL SELECT a.id FROM ${this.table} a JOIN sub ON a.parent_id = sub.id
       ) SELECT id FROM sub`,
      [areaId],
    );
    return rows.map((r) => r.id);
  }
}

@Injectable()
export class DeviceRepository extends OrmRepository<DeviceEntity> {
  constructor(@Inject(DataSource) dataSource: DataSource) {
    super(dataSource, DeviceEntity);
  }

  findBySn(sn: string): Promise<DeviceEntity | null> {
    return this.orm.findOneBy({ sn });
  }

  findById(id: string): Promise<DeviceEntity | null> {
    return this.orm.findOneBy({ id });
  }
}

@Injectable()
export class DoorRepository extends OrmRepository<DoorEntity> {
  readonly readers: Repository<ReaderEntity>;

  constructor(@Inject(DataSource) dataSource: DataSource) {
    super(dataSource, DoorEntity);
    this.readers = dataSource.getRepository(ReaderEntity);
  }

  findById(id: string): Promise<DoorEntity | null> {
    return this.orm.findOneBy({ id });
  }

  byDevice(deviceId: string): Promise<DoorEntity[]> {
    return this.orm.find({ where: { deviceId }, order: { doorNo: 'ASC' } });
  }

  byIds(ids: readonly string[]): Promise<DoorEntity[]> {
    return ids.length === 0 ? Promise.resolve([]) : this.orm.findBy({ id: In([...ids]) });
  }

  findByDeviceAndNo(deviceId: string, doorNo: number): Promise<DoorEntity | null> {
    return this.orm.findOneBy({ deviceId, doorNo });
  }

  /**
   * Creates the doors a device reports (`doorCount`) that are missing, each with its readers:
   * two (in and out) when the device has two readers per door, else one (in). Returns the doors
   * it created. Registrations of one terminal can run at once (a terminal retrying, or its
   * registry racing its first handshake): rows another call inserted first are skipped by the
   * unique keys (device, door number) and (door, reader number) instead of failing the call.
   */
  async ensureForDevice(device: DeviceEntity): Promise<DoorEntity[]> {
    const existing = new Set((await this.byDevice(device.id)).map((d) => d.doorNo));
    const missing: number[] = [];
    for (let no = 1; no <= device.doorCount; no++) if (!existing.has(no)) missing.push(no);
    if (missing.length === 0) return [];
    const inserted = await this.orm
      .createQueryBuilder()
      .insert()
      .values(missing.map((no) => ({ deviceId: device.id, doorNo: no, name: `${device.alias} Door ${no}` })))
      .orIgnore()
      .returning(['id'])
      .execute();
    const ids = Array.isArray(inserted.raw) ? (inserted.raw as { id: string }[]).map((r) => r.id) : [];
    const created = (await this.byIds(ids)).sort((a, b) => a.doorNo - b.doorNo);
    if (created.length === 0) return [];
    const readersPerDoor = device.readerCount >= 2 * device.doorCount ? 2 : 1;
    const readers = created.flatMap((door) =>
      Array.from({ length: readersPerDoor }, (_, i) => ({
        doorId: door.id,
        readerNo: i + 1,
        name: `${door.name} ${i === 0 ? 'In' : 'Out'}`,
        inOut: i === 0 ? ('in' as const) : ('out' as const),
      })),
    );
    await this.readers.createQueryBuilder().insert().values(readers).orIgnore().execute();
    return created;
  }
}
