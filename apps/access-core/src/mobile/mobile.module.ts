import { Module } from '@nestjs/common';
import { MailModule } from '../mail/mail.module';
import { SettingsController } from '../settings/settings.controller';
import { SettingsModule } from '../settings/settings.module';
import { TerminalsModule } from '../terminals/terminals.module';
import { LockdownModule } from '../lockdown/lockdown.module';
import { UplinkModule } from '../uplink/uplink.module';
import { AccessRecordsService } from './access-records.service';
import { AlarmsController } from './alarms.controller';
import { AlarmsService } from './alarms.service';
import { AuditService } from './audit.service';
import { CredentialsService } from './credentials.service';
import { DashboardController } from './dashboard.controller';
import { DashboardService } from './dashboard.service';
import { DevicesController } from './devices.controller';
import { EventPresenter } from './event-presenter';
import { IdempotencyRepository } from './idempotency.repository';
import { InvitationsController } from './invitations.controller';
import { InvitationsService } from './invitations.service';
import { LiveFeedService } from './live-feed.service';
import { CredentialsController, MeController, PrivacyPolicyController } from './me.controller';
import { MeService } from './me.service';
import { NotificationsService } from './notifications.service';
import { PeopleController } from './people.controller';
import { PeopleService } from './people.service';
import { RejectedLinesController } from './rejected-lines.controller';
import { RemoteControlController } from './remote-control.controller';
import { RemoteControlService } from './remote-control.service';
import { VisitsController } from './visits.controller';
import { VisitsService } from './visits.service';

/** The mobile API: administrator and personnel features (REST under /api/v1). */
@Module({
  imports: [SettingsModule, MailModule, TerminalsModule, LockdownModule, UplinkModule],
  controllers: [
    DashboardController,
    DevicesController,
    AlarmsController,
    RemoteControlController,
    VisitsController,
    PeopleController,
    MeController,
    CredentialsController,
    PrivacyPolicyController,
    InvitationsController,
    SettingsController,
    RejectedLinesController,
  ],
  providers: [
    AuditService,
    EventPresenter,
    DashboardService,
    AlarmsService,
    AccessRecordsService,
    RemoteControlService,
    IdempotencyRepository,
    VisitsService,
    PeopleService,
    MeService,
    NotificationsService,
    LiveFeedService,
    CredentialsService,
    InvitationsService,
  ],
})
export class MobileModule {}
