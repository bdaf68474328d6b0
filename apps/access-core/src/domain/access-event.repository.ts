import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type Repository } from 'typeorm';
import { AccessEventEntity, AlarmEntity } from './access-event.entity';
import { OrmRepository } from './orm-repository';

export type NewAccessEvent = Omit<AccessEventEntity, 'id' | 'createdAt'>;

@Injectable()
export class AccessEventRepository extends OrmRepository<AccessEventEntity> {
  constructor(@Inject(DataSource) dataSource: DataSource) {
    super(dataSource, AccessEventEntity);
  }

  findById(id: string): Promise<AccessEventEntity | null> {
    return this.orm.findOneBy({ id });
  }

  /** Which of these events carry a captured picture (without loading the pictures). */
  async idsWithPicture(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.orm
      .createQueryBuilder('e')
      .select('e.id', 'id')
      .where('e.id IN (:...ids) AND e.picture IS NOT NULL', { ids })
      .getRawMany<{ id: string }>();
    return new Set(rows.map((r) => r.id));
  }

  /**
   * Inserts unless (deviceId, deviceIndex) already exists; returns the new row, or undefined
   * for a duplicate (a re-sent rtlog line).
   */
  async insertUnlessDuplicate(event: NewAccessEvent): Promise<AccessEventEntity | undefined> {
    const result = await this.orm.createQueryBuilder().insert().values(event).orIgnore().returning(['id']).execute();
    const raw = result.raw as { id: string }[];
    if (!Array.isArray(raw) || raw.length === 0) return undefined;
    return (await this.findById(raw[0].id)) ?? undefined;
  }
}

@Injectable()
export class AlarmRepository extends OrmRepository<AlarmEntity> {
  readonly events: Repository<AccessEventEntity>;

  constructor(@Inject(DataSource) dataSource: DataSource) {
    super(dataSource, AlarmEntity);
    this.events = dataSource.getRepository(AccessEventEntity);
  }

  findById(id: string): Promise<AlarmEntity | null> {
    return this.orm.findOneBy({ id });
  }

  findByEventId(eventId: string): Promise<AlarmEntity | null> {
    return this.orm.findOneBy({ eventId });
  }

  /** Confirms once; returns the updated row, or null when missing or already confirmed. */
  async confirm(id: string, by: string, remark: string | null, at: Date): Promise<AlarmEntity | null> {
    const res = await this.orm
      .createQueryBuilder()
      .update()
      .set({ confirmed: true, confirmedBy: by, confirmedAt: at, remark })
      .where('id = :id AND confirmed = false', { id })
      .execute();
    return res.affected ? this.findById(id) : null;
  }
}
