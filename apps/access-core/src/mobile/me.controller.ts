import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional } from 'class-validator';
import { Client, CurrentUser } from '../auth/current-user.decorator';
import type { ClientInfo, Principal } from '../auth/principal';
import { Roles } from '../auth/roles.decorator';
import type { TokenPair } from '../auth/token.service';
import { CredentialsService, type CredentialQr } from './credentials.service';
import { IdParamDto } from './dto/id-param.dto';
import { ChangePasswordDto, NotificationSwitchDto } from './dto/me.dto';
import { MeService, type MeView } from './me.service';
import { NotificationsService, type NotificationView } from './notifications.service';
import { PageQueryDto, type Page } from './pagination';

export class NotificationQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'true: unread only' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  unread?: boolean;
}

@ApiTags('me (both roles)')
@Roles('admin', 'personnel')
@Controller('api/v1')
export class MeController {
  constructor(
    private readonly me: MeService,
    private readonly notifications: NotificationsService,
  ) {}

  @Get('me')
  @ApiOperation({ summary: 'Account, organisation, notification switch, privacy policy link, version' })
  get(@CurrentUser() who: Principal): Promise<MeView> {
    return this.me.me(who);
  }

  @Put('me/notifications')
  @ApiOperation({ summary: 'Background notifications on or off' })
  setNotifications(
    @Body() body: NotificationSwitchDto,
    @CurrentUser() who: Principal,
    @Client() client: ClientInfo,
  ): Promise<MeView> {
    return this.me.setNotifications(who, body.enabled, client);
  }

  @Put('me/password')
  @ApiOperation({
    summary:
      'Change the password (personnel: the app and the self-service password); ends other sessions, returns new tokens',
  })
  changePassword(
    @Body() body: ChangePasswordDto,
    @CurrentUser() who: Principal,
    @Client() client: ClientInfo,
  ): Promise<TokenPair> {
    return this.me.changePassword(who, body.currentPassword, body.newPassword, client);
  }

  @Get('notifications')
  @ApiOperation({ summary: 'Notification center: my events and those of the people I follow' })
  list(
    @Query() q: NotificationQueryDto,
    @CurrentUser() who: Principal,
  ): Promise<Page<NotificationView> & { unread: number }> {
    return this.notifications.list(who, q);
  }

  @Post('notifications/read-all')
  @HttpCode(200)
  readAll(@CurrentUser() who: Principal): Promise<{ updated: number }> {
    return this.notifications.markAllRead(who);
  }

  @Post('notifications/:id/read')
  @HttpCode(200)
  read(@Param() p: IdParamDto, @CurrentUser() who: Principal): Promise<NotificationView> {
    return this.notifications.markRead(who, p.id);
  }
}

@ApiTags('personnel: my credentials')
@Roles('personnel')
@Controller('api/v1')
export class CredentialsController {
  constructor(private readonly credentials: CredentialsService) {}

  @Get('me/credential-qr')
  @ApiOperation({ summary: 'My Credentials: a dynamic QR (new every 30 s) that terminals verify while it is valid' })
  credentialQr(@CurrentUser() who: Principal): Promise<CredentialQr> {
    return this.credentials.currentQr(who.subjectId);
  }
}

@ApiTags('public')
@Controller('api/v1')
export class PrivacyPolicyController {
  constructor(private readonly me: MeService) {}

  @Get('privacy-policy')
  privacyPolicy(): Promise<{ text: string; version: string }> {
    return this.me.privacyPolicy();
  }
}
