import { Body, Controller, Delete, Get, HttpCode, Put } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Client, CurrentUser } from '../auth/current-user.decorator';
import type { ClientInfo, Principal } from '../auth/principal';
import { Roles } from '../auth/roles.decorator';
import { AuditService } from '../mobile/audit.service';
import { UplinkWorker } from '../uplink/uplink.worker';
import { CloudSettingsDto, MailServerDto } from './settings.dto';
import { SettingsService } from './settings.service';
import type { CloudSettingsView, MailServerView } from './settings.types';

@ApiTags('admin: settings')
@Roles('admin')
@Controller('api/v1/settings')
export class SettingsController {
  constructor(
    private readonly settings: SettingsService,
    private readonly audit: AuditService,
    private readonly uplink: UplinkWorker,
  ) {}

  @Get('mail-server')
  @ApiOperation({ summary: 'The outgoing mail server (never the password)' })
  mailServer(): Promise<MailServerView> {
    return this.settings.mailServerView();
  }

  @Put('mail-server')
  @ApiOperation({ summary: 'Set the outgoing mail server (the password is encrypted at rest)' })
  async setMailServer(
    @Body() body: MailServerDto,
    @CurrentUser() who: Principal,
    @Client() client: ClientInfo,
  ): Promise<MailServerView> {
    const view = await this.settings.setMailServer(body);
    await this.audit.record(who, client, 'settings.mail-server.set', 'settings:mail-server', {
      host: body.host,
      port: body.port,
      secure: body.secure,
      passwordChanged: body.password !== undefined,
    });
    return view;
  }

  @Delete('mail-server')
  @HttpCode(204)
  async clearMailServer(@CurrentUser() who: Principal, @Client() client: ClientInfo): Promise<void> {
    await this.settings.clearMailServer();
    await this.audit.record(who, client, 'settings.mail-server.clear', 'settings:mail-server');
  }

  @Get('cloud')
  @ApiOperation({ summary: 'Push to app, push data to cloud, broker URI, and how the cloud uplink is doing' })
  async cloud(): Promise<CloudSettingsView> {
    return { ...(await this.settings.cloud()), ...(await this.uplink.status()) };
  }

  @Put('cloud')
  @ApiOperation({ summary: 'Push to app, push data to cloud, broker URI (fields not sent are kept)' })
  async setCloud(
    @Body() body: CloudSettingsDto,
    @CurrentUser() who: Principal,
    @Client() client: ClientInfo,
  ): Promise<CloudSettingsView> {
    const next = await this.settings.setCloud(body);
    await this.audit.record(who, client, 'settings.cloud.set', 'settings:cloud', { ...next });
    return { ...next, ...(await this.uplink.status()) };
  }
}
