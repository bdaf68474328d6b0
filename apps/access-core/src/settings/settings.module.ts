import { Module } from '@nestjs/common';
import { SettingsService } from './settings.service';

/** Site settings of the mobile features; the admin endpoints are served by MobileModule. */
@Module({ providers: [SettingsService], exports: [SettingsService] })
export class SettingsModule {}
