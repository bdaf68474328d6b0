import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Client, CurrentUser } from '../auth/current-user.decorator';
import type { ClientInfo, Principal } from '../auth/principal';
import { Roles } from '../auth/roles.decorator';
import { IdParamDto } from './dto/id-param.dto';
import { DoorListQueryDto, UnlockDoorDto } from './dto/remote.dto';
import type { Page } from './pagination';
import {
  checkIdempotencyKey,
  RemoteControlService,
  type CommandOutcome,
  type DoorView,
  type LockdownGroupView,
} from './remote-control.service';

const IDEMPOTENCY_HEADER = {
  name: 'Idempotency-Key',
  required: false,
  description: 'a retried request with the same key returns the first answer instead of acting twice',
};

@ApiTags('admin: remote control and lockdown')
@Roles('admin')
@Controller('api/v1')
export class RemoteControlController {
  constructor(private readonly remote: RemoteControlService) {}

  @Get('doors')
  @ApiOperation({ summary: 'Doors with their device status' })
  doors(@Query() q: DoorListQueryDto): Promise<Page<DoorView>> {
    return this.remote.listDoors(q);
  }

  @Post('doors/:id/unlock')
  @HttpCode(200)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiConflictResponse({ description: 'DEVICE_OFFLINE' })
  @ApiOperation({ summary: "Open the door remotely; waits for the terminal's result (acked / failed / pending)" })
  unlock(
    @Param() p: IdParamDto,
    @Body() body: UnlockDoorDto,
    @Headers('idempotency-key') key: string | undefined,
    @CurrentUser() who: Principal,
    @Client() client: ClientInfo,
  ): Promise<CommandOutcome> {
    return this.remote.unlock(p.id, body.seconds, checkIdempotencyKey(key), who, client);
  }

  @Post('doors/:id/cancel-alarm')
  @HttpCode(200)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiConflictResponse({ description: 'DEVICE_OFFLINE' })
  @ApiOperation({ summary: "Cancel the door's alarm; waits for the terminal's result" })
  cancelAlarm(
    @Param() p: IdParamDto,
    @Headers('idempotency-key') key: string | undefined,
    @CurrentUser() who: Principal,
    @Client() client: ClientInfo,
  ): Promise<CommandOutcome> {
    return this.remote.cancelAlarm(p.id, checkIdempotencyKey(key), who, client);
  }

  @Get('lockdown/groups')
  @ApiOperation({ summary: 'Preconfigured lockdown groups and whether each is Under Lockdown' })
  groups(): Promise<LockdownGroupView[]> {
    return this.remote.lockdownGroups();
  }

  @Post('lockdown/groups/:id/activate')
  @HttpCode(200)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Lock every door of the group → Under Lockdown' })
  activate(
    @Param() p: IdParamDto,
    @Headers('idempotency-key') key: string | undefined,
    @CurrentUser() who: Principal,
    @Client() client: ClientInfo,
  ): Promise<LockdownGroupView> {
    return this.remote.activateLockdown(p.id, checkIdempotencyKey(key), who, client);
  }

  @Post('lockdown/groups/:id/cancel')
  @HttpCode(200)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'End the lockdown of the group' })
  cancel(
    @Param() p: IdParamDto,
    @Headers('idempotency-key') key: string | undefined,
    @CurrentUser() who: Principal,
    @Client() client: ClientInfo,
  ): Promise<LockdownGroupView> {
    return this.remote.cancelLockdown(p.id, checkIdempotencyKey(key), who, client);
  }
}
