import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NotificationEntity } from './notification.entity';
import { OrmRepository } from './orm-repository';

@Injectable()
export class NotificationRepository extends OrmRepository<NotificationEntity> {
  constructor(@Inject(DataSource) dataSource: DataSource) {
    super(dataSource, NotificationEntity);
  }
}
