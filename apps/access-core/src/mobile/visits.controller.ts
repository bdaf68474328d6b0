import { Body, Controller, Get, HttpCode, Param, Post, Query, StreamableFile } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Client, CurrentUser } from '../auth/current-user.decorator';
import type { ClientInfo, Principal } from '../auth/principal';
import { Roles } from '../auth/roles.decorator';
import { IdParamDto } from './dto/id-param.dto';
import { HostSearchQueryDto, PhotoKindParamDto, RegisterVisitDto, VisitListQueryDto } from './dto/visits.dto';
import type { Page } from './pagination';
import {
  VisitsService,
  type HostView,
  type VisitStatistics,
  type VisitSummary,
  type VisitView,
} from './visits.service';

@ApiTags('admin: visitors')
@Roles('admin')
@Controller('api/v1')
export class VisitsController {
  constructor(private readonly visits: VisitsService) {}

  @Get('visits/summary')
  @ApiOperation({ summary: 'Today: visitors, not checked out, checked in' })
  summary(): Promise<VisitSummary> {
    return this.visits.todaySummary();
  }

  @Get('visits/statistics')
  @ApiOperation({ summary: "Today's visitor flow by hour; top 5 visitors of the month" })
  statistics(): Promise<VisitStatistics> {
    return this.visits.statistics();
  }

  @Get('visits')
  @ApiOperation({ summary: 'Visits; search by visitor name, filter by status or today' })
  list(@Query() q: VisitListQueryDto): Promise<Page<VisitView>> {
    return this.visits.list(q);
  }

  @Post('visits')
  @ApiOperation({ summary: 'Register a visitor (photos as base64 JPEG/PNG, each ≤ MOBILE_PHOTO_MAX_BYTES)' })
  register(
    @Body() body: RegisterVisitDto,
    @CurrentUser() who: Principal,
    @Client() client: ClientInfo,
  ): Promise<VisitView> {
    return this.visits.register(body, who, client);
  }

  @Get('visits/:id')
  detail(@Param() p: IdParamDto): Promise<VisitView> {
    return this.visits.detail(p.id);
  }

  @Get('visits/:id/photos/:kind')
  async photo(@Param() p: PhotoKindParamDto): Promise<StreamableFile> {
    const pic = await this.visits.photo(p.id, p.kind);
    return new StreamableFile(pic.bytes, { type: pic.contentType, length: pic.bytes.length });
  }

  @Post('visits/:id/check-in')
  @HttpCode(200)
  checkIn(@Param() p: IdParamDto, @CurrentUser() who: Principal, @Client() client: ClientInfo): Promise<VisitView> {
    return this.visits.checkIn(p.id, who, client);
  }

  @Post('visits/:id/check-out')
  @HttpCode(200)
  checkOut(@Param() p: IdParamDto, @CurrentUser() who: Principal, @Client() client: ClientInfo): Promise<VisitView> {
    return this.visits.checkOut(p.id, who, client);
  }

  @Get('hosts')
  @ApiOperation({ summary: 'Look a host up by personnel id or name (at most 20)' })
  hosts(@Query() q: HostSearchQueryDto): Promise<HostView[]> {
    return this.visits.searchHosts(q.q);
  }
}
