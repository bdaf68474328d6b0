import { Global, Module } from '@nestjs/common';
import { DeviceApprovalService } from './device-approval.service';
import { DeviceCommandService } from './device-command.service';
import { DeviceSessionService } from './device-session.service';
import { DoorControlService } from './door-control.service';
import { PushController } from './push.controller';
import { PushService } from './push.service';
import { RejectedLineRepository } from './rejected-line.repository';
import { RejectedLineService } from './rejected-line.service';
import { RemoteVerificationService } from './remote-verification.service';
import { SyncService } from './sync.service';

const SERVICES = [
  DeviceApprovalService,
  DeviceCommandService,
  DeviceSessionService,
  DoorControlService,
  RemoteVerificationService,
  SyncService,
  RejectedLineService,
];

/** The terminal driver (`/iclock/*`) and the services other modules use to reach terminals. */
@Global()
@Module({
  controllers: [PushController],
  providers: [...SERVICES, PushService, RejectedLineRepository],
  exports: SERVICES,
})
export class TerminalsModule {}
