import { Body, Controller, Get, HttpCode, Put } from '@nestjs/common';
import { Roles } from '../auth/roles.decorator';
import { RequestId } from '../http/request-id.decorator';
import { RenameSiteDto } from './dto/rename-site.dto';
import type { SiteNameChanged, SystemInfo } from './system-info';
import { SystemService } from './system.service';

@Controller('api/v1/system')
export class SystemController {
  constructor(private readonly system: SystemService) {}

  @Get('info')
  info(@RequestId() requestId: string): Promise<SystemInfo> {
    return this.system.info(requestId);
  }

  // Renaming is an administrator's change (the console's Settings → Site name also logs it).
  @Put('name')
  @HttpCode(200)
  @Roles('admin')
  rename(@Body() body: RenameSiteDto, @RequestId() requestId: string): Promise<SiteNameChanged> {
    return this.system.rename(body.name, requestId);
  }
}
