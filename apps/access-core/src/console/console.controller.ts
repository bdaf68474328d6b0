import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Client, CurrentUser } from '../auth/current-user.decorator';
import type { ClientInfo, Principal } from '../auth/principal';
import { Roles } from '../auth/roles.decorator';
import { SiteSettingRepository } from '../database/site-setting.repository';
import { MailService } from '../mail/mail.service';
import { AuditService } from '../mobile/audit.service';
import { IdParamDto } from '../mobile/dto/id-param.dto';
import type { Page } from '../mobile/pagination';
import { PRIVACY_POLICY_KEY } from '../mobile/privacy-policy';
import {
  ConsoleAdminService,
  type AreaView,
  type DoorSettingsView,
  type OperationLogView,
} from './console-admin.service';
import {
  CreateAreaDto,
  OperationLogQueryDto,
  PrivacyPolicyDto,
  RenameAreaDto,
  SiteNameDto,
  TestMailDto,
  UpdateDoorDto,
} from './console.dto';

@ApiTags('admin: areas and doors')
@Roles('admin')
@Controller('api/v1')
export class AreasController {
  constructor(private readonly admin: ConsoleAdminService) {}

  @Get('areas')
  @ApiOperation({ summary: 'Every area with its number of terminals' })
  list(): Promise<AreaView[]> {
    return this.admin.listAreas();
  }

  @Post('areas')
  @ApiOperation({ summary: 'Add an area (409 CONFLICT when the name is taken at that level)' })
  create(@Body() body: CreateAreaDto, @CurrentUser() who: Principal, @Client() client: ClientInfo): Promise<AreaView> {
    return this.admin.createArea(body, who, client);
  }

  @Patch('areas/:id')
  @ApiOperation({ summary: 'Rename an area' })
  rename(
    @Param() p: IdParamDto,
    @Body() body: RenameAreaDto,
    @CurrentUser() who: Principal,
    @Client() client: ClientInfo,
  ): Promise<AreaView> {
    return this.admin.renameArea(p.id, body.name, who, client);
  }

  @Delete('areas/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an empty area (409 CONFLICT while it holds terminals or areas)' })
  async remove(@Param() p: IdParamDto, @CurrentUser() who: Principal, @Client() client: ClientInfo): Promise<void> {
    await this.admin.deleteArea(p.id, who, client);
  }

  @Get('doors/:id/settings')
  @ApiOperation({ summary: "A door's name and lock open time" })
  door(@Param() p: IdParamDto): Promise<DoorSettingsView> {
    return this.admin.doorSettings(p.id);
  }

  @Patch('doors/:id/settings')
  @ApiOperation({ summary: 'Rename a door or change how long its lock stays open on a remote open' })
  updateDoor(
    @Param() p: IdParamDto,
    @Body() body: UpdateDoorDto,
    @CurrentUser() who: Principal,
    @Client() client: ClientInfo,
  ): Promise<DoorSettingsView> {
    return this.admin.updateDoor(p.id, body, who, client);
  }

  @Get('operation-log')
  @ApiOperation({ summary: 'Who did what, from where, when; newest first; search actor, action or target' })
  operationLog(@Query() q: OperationLogQueryDto): Promise<Page<OperationLogView>> {
    return this.admin.operationLog(q);
  }
}

@ApiTags('admin: settings')
@Roles('admin')
@Controller('api/v1/settings')
export class ConsoleSettingsController {
  constructor(
    private readonly admin: ConsoleAdminService,
    private readonly mail: MailService,
    private readonly settings: SiteSettingRepository,
    private readonly audit: AuditService,
  ) {}

  @Post('mail-server/test')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Send a test mail through the saved mail server; 502 MAIL_SERVER_UNREACHABLE, MAIL_AUTH_FAILED or MAIL_TLS_FAILED say what to fix',
  })
  async testMail(
    @Body() body: TestMailDto,
    @CurrentUser() who: Principal,
    @Client() client: ClientInfo,
  ): Promise<{ sent: true; to: string; messageId: string }> {
    const info = await this.mail.sendTest({
      to: body.to,
      subject: 'Test mail from your Lanbridge site',
      text: 'This is a test mail from the site console. The outgoing mail server works: invitations will be delivered.',
    });
    await this.audit.record(who, client, 'settings.mail-server.test', 'settings:mail-server');
    return { sent: true, to: body.to, messageId: info.messageId };
  }

  @Put('site-name')
  @ApiOperation({ summary: 'The site name the app, the console and the cloud show' })
  siteName(
    @Body() body: SiteNameDto,
    @CurrentUser() who: Principal,
    @Client() client: ClientInfo,
  ): Promise<{ name: string; updatedAt: string }> {
    return this.admin.renameSite(body.name, who, client);
  }

  @Put('privacy-policy')
  @ApiOperation({ summary: 'Replace the privacy policy text the app shows' })
  async privacyPolicy(
    @Body() body: PrivacyPolicyDto,
    @CurrentUser() who: Principal,
    @Client() client: ClientInfo,
  ): Promise<{ text: string; version: string }> {
    const saved = await this.settings.set(PRIVACY_POLICY_KEY, { text: body.text });
    await this.audit.record(who, client, 'settings.privacy-policy.set', 'settings:privacy-policy', {
      length: body.text.length,
    });
    return { text: body.text, version: saved.updatedAt.toISOString().slice(0, 10) };
  }
}
