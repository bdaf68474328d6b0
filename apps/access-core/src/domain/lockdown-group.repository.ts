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
