import { AccessEventEntity, AlarmEntity } from './access-event.entity';
import { AccessLevelDoorEntity, AccessLevelEntity, LevelPersonEntity, TimeZoneEntity } from './access-level.entity';
import { AreaEntity } from './area.entity';
import { DeviceCommandEntity } from './device-command.entity';
import { DeviceEntity } from './device.entity';
import { DoorEntity, ReaderEntity } from './door.entity';
import { LockdownGroupDoorEntity, LockdownGroupEntity } from './lockdown-group.entity';
import { NotificationEntity } from './notification.entity';
import { OperationLogEntity, OperatorEntity } from './operator.entity';
import { DepartmentEntity, GuardianEntity, PersonEntity } from './person.entity';
import { InvitationEntity, VisitEntity, VisitorEntity } from './visitor.entity';

/** Every domain entity, registered with the DataSource (data-source.factory.ts). */
export const DOMAIN_ENTITIES = [
  AreaEntity,
  DeviceEntity,
  DoorEntity,
  ReaderEntity,
  DepartmentEntity,
  PersonEntity,
  GuardianEntity,
  TimeZoneEntity,
  AccessLevelEntity,
  AccessLevelDoorEntity,
  LevelPersonEntity,
  LockdownGroupEntity,
  LockdownGroupDoorEntity,
  AccessEventEntity,
  AlarmEntity,
  VisitorEntity,
  VisitEntity,
  InvitationEntity,
  NotificationEntity,
  OperatorEntity,
  OperationLogEntity,
  DeviceCommandEntity,
];
