import { Inject, Injectable } from '@nestjs/common';
import { DataSource, In, type Repository } from 'typeorm';
import { AccessLevelDoorEntity, AccessLevelEntity, LevelPersonEntity, TimeZoneEntity } from './access-level.entity';
import { OrmRepository } from './orm-repository';

@Injectable()
export class AccessLevelRepository extends OrmRepository<AccessLevelEntity> {
  readonly timeZones: Repository<TimeZoneEntity>;
  readonly levelDoors: Repository<AccessLevelDoorEntity>;
  readonly levelPersons: Repository<LevelPersonEntity>;

  constructor(@Inject(DataSource) dataSource: DataSource) {
    super(dataSource, AccessLevelEntity);
    this.timeZones = dataSource.getRepository(TimeZoneEntity);
    this.levelDoors = dataSource.getRepository(AccessLevelDoorEntity);
    this.levelPersons = dataSource.getRepository(LevelPersonEntity);
  }

  findById(id: string): Promise<AccessLevelEntity | null> {
    return this.orm.findOneBy({ id });
  }

  async doorIds(levelId: string): Promise<string[]> {
    return (await this.levelDoors.findBy({ accessLevelId: levelId })).map((r) => r.doorId);
  }

  async personIds(levelId: string): Promise<string[]> {
    return (await this.levelPersons.findBy({ accessLevelId: levelId })).map((r) => r.personId);
  }

  /** Levels held by a person. */
  async levelsOfPerson(personId: string): Promise<AccessLevelEntity[]> {
    const ids = (await this.levelPersons.findBy({ personId })).map((r) => r.accessLevelId);
    return ids.length === 0 ? [] : this.orm.findBy({ id: In(ids) });
  }

  /** Replaces the doors of a level. */
  async setDoors(levelId: string, doorIds: readonly string[]): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      await m.delete(AccessLevelDoorEntity, { accessLevelId: levelId });
      if (doorIds.length > 0) {
        await m.insert(
          AccessLevelDoorEntity,
          [...new Set(doorIds)].map((doorId) => ({ accessLevelId: levelId, doorId })),
        );
      }
    });
  }

  async addPerson(levelId: string, personId: string): Promise<void> {
    await this.levelPersons
      .createQueryBuilder()
      .insert()
      .values({ accessLevelId: levelId, personId })
      .orIgnore()
      .execute();
  }

  async removePerson(levelId: string, personId: string): Promise<void> {
    await this.levelPersons.delete({ accessLevelId: levelId, personId });
  }
}
