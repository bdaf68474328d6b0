import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type Repository } from 'typeorm';
import { OrmRepository } from './orm-repository';
import { InvitationEntity, VisitEntity, VisitorEntity } from './visitor.entity';

@Injectable()
export class VisitorRepository extends OrmRepository<VisitorEntity> {
  readonly visits: Repository<VisitEntity>;

  constructor(@Inject(DataSource) dataSource: DataSource) {
    super(dataSource, VisitorEntity);
    this.visits = dataSource.getRepository(VisitEntity);
  }

  findById(id: string): Promise<VisitorEntity | null> {
    return this.orm.findOneBy({ id });
  }
}

@Injectable()
export class InvitationRepository extends OrmRepository<InvitationEntity> {
  constructor(@Inject(DataSource) dataSource: DataSource) {
    super(dataSource, InvitationEntity);
  }

  findById(id: string): Promise<InvitationEntity | null> {
    return this.orm.findOneBy({ id });
  }

  findByTokenHash(qrTokenHash: string): Promise<InvitationEntity | null> {
    return this.orm.findOneBy({ qrTokenHash });
  }

  /**
   * Marks a pending invitation used, atomically (a QR presented twice at once opens once).
   * Returns true for the one caller that won.
   */
  async markUsed(id: string, at: Date): Promise<boolean> {
    const res = await this.orm
      .createQueryBuilder()
      .update()
      .set({ status: 'used', usedAt: at })
      .where("id = :id AND status = 'pending' AND used_at IS NULL", { id })
      .execute();
    return (res.affected ?? 0) > 0;
  }
}
