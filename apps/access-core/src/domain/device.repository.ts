import { Inject, Injectable } from '@nestjs/common';
import { DataSource, In, IsNull, type Repository } from 'typeorm';
import { AreaEntity } from './area.entity';
import { DeviceEntity } from './device.entity';
import { DoorEntity, ReaderEntity } from './door.entity';
import { OrmRepository } from './orm-repository';

export const DEFAULT_AREA_NAME = 'Default area';

@Injectable()
export class AreaRepository extends OrmRepository<AreaEntity> {
  constructor(@Inject(DataSource) dataSource: DataSource) {
    super(dataSource, AreaEntity);
  }

  /** The root area auto-enrolled devices land in; created on first use. */
  async defaultArea(): Promise<AreaEntity> {
    const found = await this.orm.findOneBy({ name: DEFAULT_AREA_NAME, parentId: IsNull() });
    if (found) return found;
    return this.orm.save(this.orm.create({ name: DEFAULT_AREA_NAME, parentId: null }));
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
   * it created.
   */
  async ensureForDevice(device: DeviceEntity): Promise<DoorEntity[]> {
    const created: DoorEntity[] = [];
    const existing = new Set((await this.byDevice(device.id)).map((d) => d.doorNo));
    const readersPerDoor = device.readerCount >= 2 * device.doorCount ? 2 : 1;
    for (let no = 1; no <= device.doorCount; no++) {
      if (existing.has(no)) continue;
      const door = await this.orm.save(
        this.orm.create({ deviceId: device.id, doorNo: no, name: `${device.alias} Door ${no}` }),
      );
      for (let r = 1; r <= readersPerDoor; r++) {
        await this.readers.save(
          this.readers.create({
            doorId: door.id,
            readerNo: r,
            name: `${door.name} ${r === 1 ? 'In' : 'Out'}`,
            inOut: r === 1 ? 'in' : 'out',
          }),
        );
      }
      created.push(door);
    }
    return created;
  }
}
