import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Client, CurrentUser } from '../auth/current-user.decorator';
import type { ClientInfo, Principal } from '../auth/principal';
import { Roles } from '../auth/roles.decorator';
import { DeviceApprovalService } from '../terminals/device-approval.service';
import { AuditService, actorOf } from './audit.service';
import { DashboardService, type DeviceView } from './dashboard.service';
import { ApproveDeviceDto } from './dto/dashboard.dto';
import { IdParamDto } from './dto/id-param.dto';

/** An operator's decision on a terminal that called in (the list is `GET devices?approval=`). */
@ApiTags('admin: dashboard')
@Roles('admin')
@Controller('api/v1/devices')
export class DevicesController {
  constructor(
    private readonly approvals: DeviceApprovalService,
    private readonly dashboard: DashboardService,
    private readonly audit: AuditService,
  ) {}

  @Post(':id/approve')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Approve a pending (or rejected) terminal into an area; it then registers and receives people and rights',
  })
  async approve(
    @Param() p: IdParamDto,
    @Body() body: ApproveDeviceDto,
    @CurrentUser() who: Principal,
    @Client() client: ClientInfo,
  ): Promise<DeviceView> {
    const device = await this.approvals.approve(p.id, { areaId: body.areaId, name: body.name }, actorOf(who));
    await this.audit.record(who, client, 'device.approve', `device:${device.sn}`, {
      areaId: device.areaId,
      name: device.alias,
    });
    return (await this.dashboard.views([device]))[0];
  }

  @Post(':id/reject')
  @HttpCode(200)
  @ApiOperation({ summary: 'Refuse a terminal: it gets no people, rights or commands, and its uploads are refused' })
  async reject(
    @Param() p: IdParamDto,
    @CurrentUser() who: Principal,
    @Client() client: ClientInfo,
  ): Promise<DeviceView> {
    const device = await this.approvals.reject(p.id, actorOf(who));
    await this.audit.record(who, client, 'device.reject', `device:${device.sn}`);
    return (await this.dashboard.views([device]))[0];
  }
}
