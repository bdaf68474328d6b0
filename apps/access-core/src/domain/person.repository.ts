import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type Repository } from 'typeorm';
import { OrmRepository } from './orm-repository';
import { DepartmentEntity, GuardianEntity, PersonEntity } from './person.entity';

@Injectable()
export class PersonRepository extends OrmRepository<PersonEntity> {
  readonly departments: Repository<DepartmentEntity>;
  readonly guardians: Repository<GuardianEntity>;

  constructor(@Inject(DataSource) dataSource: DataSource) {
    super(dataSource, PersonEntity);
    this.departments = dataSource.getRepository(DepartmentEntity);
    this.guardians = dataSource.getRepository(GuardianEntity);
  }

  findById(id: string): Promise<PersonEntity | null> {
    return this.orm.findOneBy({ id });
  }

  findByPin(pin: string): Promise<PersonEntity | null> {
    return this.orm.findOneBy({ pin });
  }

  findByCardNo(cardNo: string): Promise<PersonEntity | null> {
    return this.orm.findOneBy({ cardNo });
  }

  /** Ids of the people who follow `personId`'s events. */
  async guardianIdsOf(personId: string): Promise<string[]> {
    const rows = await this.guardians.find({ where: { personId }, select: { guardianPersonId: true } });
    return rows.map((r) => r.guardianPersonId);
  }

  /** Ids of the people `guardianPersonId` follows. */
  async wardIdsOf(guardianPersonId: string): Promise<string[]> {
    const rows = await this.guardians.find({ where: { guardianPersonId }, select: { personId: true } });
    return rows.map((r) => r.personId);
  }

  async addGuardian(guardianPersonId: string, personId: string): Promise<void> {
    await this.guardians.createQueryBuilder().insert().values({ guardianPersonId, personId }).orIgnore().execute();
  }
}
