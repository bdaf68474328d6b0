import { Body, Controller, Get, HttpCode, Put } from '@nestjs/common';
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

  @Put('name')
  @HttpCode(200)
  rename(@Body() body: RenameSiteDto, @RequestId() requestId: string): Promise<SiteNameChanged> {
    return this.system.rename(body.name, requestId);
  }
}
