import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { OperationLogEntity, OperatorEntity } from './operator.entity';
import { OrmRepository } from './orm-repository';

export interface OperationLogEntry {
  readonly actor: string;
  readonly action: string;
  readonly target?: string | null;
  readonly ip?: string | null;
  readonly userAgent?: string | null;
  readonly detail?: Record<string, unknown> | null;
}

@Injectable()
export class OperatorRepository extends OrmRepository<OperatorEntity> {
  constructor(@Inject(DataSource) dataSource: DataSource) {
    super(dataSource, OperatorEntity);
  }

  findByUsername(username: string): Promise<OperatorEntity | null> {
    return this.orm.findOneBy({ username });
  }

  findById(id: string): Promise<OperatorEntity | null> {
    return this.orm.findOneBy({ id });
  }
}

@Injectable()
export class OperationLogRepository extends OrmRepository<OperationLogEntity> {
  constructor(@Inject(DataSource) dataSource: DataSource) {
    super(dataSource, OperationLogEntity);
  }

  async record(entry: OperationLogEntry): Promise<OperationLogEntity> {
    return this.orm.save(
      this.orm.create({
        actor: entry.actor,
        action: entry.action,
        target: entry.target ?? null,
        ip: entry.ip ?? null,
        userAgent: entry.userAgent ?? null,
        detail: entry.detail ?? null,
      }),
    );
  }
}
