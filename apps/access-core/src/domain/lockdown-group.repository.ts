import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type Repository } from 'typeorm';
import { LockdownGroupDoorEntity, LockdownGroupEntity } from './lockdown-group.entity';
import { OrmRepository } from './orm-repository';

@Injectable()
export class LockdownGroupRepository extends OrmRepository<LockdownGroupEntity> {
  readonly groupDoors: Repository<LockdownGroupDoorEntity>;

  constructor(@Inject(DataSource) dataSource: DataSource) {
    super(dataSource, LockdownGroupEntity);
    this.groupDoors = dataSource.getRepository(LockdownGroupDoorEntity);
  }

  findById(id: string): Promise<LockdownGroupEntity | null> {
    return this.orm.findOneBy({ id });
  }

  async doorIds(groupId: string): Promise<string[]> {
    return (await this.groupDoors.findBy({ lockdownGroupId: groupId })).map((r) => r.doorId);
  }

  /** Names of the active groups that hold this door (why it is under lockdown). */
  async activeNamesForDoor(doorId: string): Promise<string[]> {
    const rows = await this.orm
      .createQueryBuilder('g')
      .innerJoin(LockdownGroupDoorEntity, 'gd', 'gd.lockdown_group_id = g.id')
      .where('gd.door_id = :doorId AND g.active = true', { doorId })
      .orderBy('g.name', 'ASC')
      .getMany();
    return rows.map((g) => g.name);
  }

  async setDoors(groupId: string, doorIds: readonly string[]): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      await m.delete(LockdownGroupDoorEntity, { lockdownGroupId: groupId });
      if (doorIds.length > 0) {
        await m.insert(
          LockdownGroupDoorEntity,
          [...new Set(doorIds)].map((doorId) => ({ lockdownGroupId: groupId, doorId })),
        );
      }
    });
  }
}
