import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/roles.decorator';
import { DashboardService, type Dashboard, type DeviceView } from './dashboard.service';
import { AreaFilterDto, DeviceListQueryDto } from './dto/dashboard.dto';
import type { Page } from './pagination';

@ApiTags('admin: dashboard')
@Roles('admin')
@Controller('api/v1')
export class DashboardController {
  constructor(private readonly dashboard: DashboardService) {}

  @Get('dashboard')
  @ApiOperation({ summary: 'People, devices (online/offline), visitors today; optionally for one area' })
  get(@Query() q: AreaFilterDto): Promise<Dashboard> {
    return this.dashboard.dashboard(q.areaId);
  }

  @Get('devices')
  @ApiOperation({
    summary:
      'Devices with their status and approval; filter online/offline, area, and approval (default approved: the site terminals)',
  })
  devices(@Query() q: DeviceListQueryDto): Promise<Page<DeviceView>> {
    return this.dashboard.deviceList(q);
  }
}
