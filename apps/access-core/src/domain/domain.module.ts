import { Global, Module } from '@nestjs/common';
import { DomainEvents } from '../events/domain-events';
import { AccessEventRepository, AlarmRepository } from './access-event.repository';
import { AccessLevelRepository } from './access-level.repository';
import { DeviceCommandRepository } from './device-command.repository';
import { AreaRepository, DeviceRepository, DoorRepository } from './device.repository';
import { LockdownGroupRepository } from './lockdown-group.repository';
import { NotificationRepository } from './notification.repository';
import { OperationLogRepository, OperatorRepository } from './operator.repository';
import { PersonRepository } from './person.repository';
import { InvitationRepository, VisitorRepository } from './visitor.repository';

const REPOSITORIES = [
  AreaRepository,
  DeviceRepository,
  DoorRepository,
  PersonRepository,
  AccessLevelRepository,
  LockdownGroupRepository,
  AccessEventRepository,
  AlarmRepository,
  VisitorRepository,
  InvitationRepository,
  NotificationRepository,
  OperatorRepository,
  OperationLogRepository,
  DeviceCommandRepository,
];

/** Repositories and the domain event bus, available everywhere. */
@Global()
@Module({
  providers: [...REPOSITORIES, DomainEvents],
  exports: [...REPOSITORIES, DomainEvents],
})
export class DomainModule {}
