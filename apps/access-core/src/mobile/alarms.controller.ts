import { Body, Controller, Get, HttpCode, Param, Post, Query, StreamableFile } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Client, CurrentUser } from '../auth/current-user.decorator';
import type { ClientInfo, Principal } from '../auth/principal';
import { Roles } from '../auth/roles.decorator';
import { AccessRecordsService } from './access-records.service';
import { AlarmsService, type AlarmSummary } from './alarms.service';
import { AccessRecordQueryDto, AlarmListQueryDto, ConfirmAlarmDto } from './dto/alarms.dto';
import { IdParamDto } from './dto/id-param.dto';
import type { AccessRecordView, AlarmDetailView, AlarmView } from './event-presenter';
import type { Page } from './pagination';

@ApiTags('admin: alarms and access records')
@Roles('admin')
@Controller('api/v1')
export class AlarmsController {
  constructor(
    private readonly alarms: AlarmsService,
    private readonly accessRecords: AccessRecordsService,
  ) {}

  @Get('alarms/summary')
  @ApiOperation({ summary: "Today's alarms: total, unconfirmed, confirmed" })
  summary(): Promise<AlarmSummary> {
    return this.alarms.todaySummary();
  }

  @Get('alarms')
  @ApiOperation({ summary: 'Alarms (exception and alarm level), newest first; search and filters' })
  list(@Query() q: AlarmListQueryDto): Promise<Page<AlarmView>> {
    return this.alarms.list(q);
  }

  @Get('alarms/:id')
  @ApiOperation({ summary: 'Alarm details: time, device, area, source, picture' })
  detail(@Param() p: IdParamDto): Promise<AlarmDetailView> {
    return this.alarms.detail(p.id);
  }

  @Get('alarms/:id/picture')
  @ApiOperation({ summary: 'The captured picture, or the default picture' })
  async picture(@Param() p: IdParamDto): Promise<StreamableFile> {
    const pic = await this.alarms.picture(p.id);
    return new StreamableFile(pic.bytes, { type: pic.contentType, length: pic.bytes.length });
  }

  @Post('alarms/:id/confirm')
  @HttpCode(200)
  @ApiOperation({ summary: 'Confirm with a remark (records who and when); 409 CONFLICT when already confirmed' })
  confirm(
    @Param() p: IdParamDto,
    @Body() body: ConfirmAlarmDto,
    @CurrentUser() who: Principal,
    @Client() client: ClientInfo,
  ): Promise<AlarmDetailView> {
    return this.alarms.confirm(p.id, body.remark, who, client);
  }

  @Get('access-records')
  @ApiOperation({ summary: 'Access records (events involving a person), newest first' })
  records(@Query() q: AccessRecordQueryDto): Promise<Page<AccessRecordView>> {
    return this.accessRecords.list(q);
  }

  @Get('access-records/:id')
  record(@Param() p: IdParamDto): Promise<AccessRecordView> {
    return this.accessRecords.detail(p.id);
  }

  @Get('access-records/:id/picture')
  async recordPicture(@Param() p: IdParamDto): Promise<StreamableFile> {
    const pic = await this.accessRecords.picture(p.id);
    return new StreamableFile(pic.bytes, { type: pic.contentType, length: pic.bytes.length });
  }
}
