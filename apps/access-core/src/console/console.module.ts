import { Module } from '@nestjs/common';
import { MailModule } from '../mail/mail.module';
import { AuditService } from '../mobile/audit.service';
import { SettingsModule } from '../settings/settings.module';
import { ConsoleAdminService } from './console-admin.service';
import { AreasController, ConsoleSettingsController } from './console.controller';

/** The API the site console adds to the mobile API (areas, door settings, operation log, site settings). */
@Module({
  imports: [SettingsModule, MailModule],
  controllers: [AreasController, ConsoleSettingsController],
  providers: [ConsoleAdminService, AuditService],
})
export class ConsoleModule {}
