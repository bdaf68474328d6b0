import { Controller, Delete, Get, HttpCode, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Page, RejectedLineView } from '@lanbridge/mobile-api';
import { Client, CurrentUser } from '../auth/current-user.decorator';
import type { ClientInfo, Principal } from '../auth/principal';
import { Roles } from '../auth/roles.decorator';
import { OperationLogRepository } from '../domain/operator.repository';
import { AccessCoreErrorCode, AccessCoreException } from '../http/access-core.exception';
import { pageWindow, sortOrder } from './pagination';
import { RejectedLineService } from '../terminals/rejected-line.service';
import { RejectedLineIdDto, RejectedLineQueryDto } from './dto/rejected-lines.dto';

/** What terminals sent that could not be stored (RejectedLineService), for operators. */
@ApiTags('admin: terminals')
@Roles('admin')
@Controller('api/v1/push/rejected-lines')
export class RejectedLinesController {
  constructor(
    private readonly rejected: RejectedLineService,
    private readonly operationLog: OperationLogRepository,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Lines terminals uploaded that could not be stored, with the raw text, device, address, time and reason',
  })
  async list(@Query() q: RejectedLineQueryDto): Promise<Page<RejectedLineView>> {
    const { page, pageSize, skip, take } = pageWindow(q);
    const { rows, total } = await this.rejected.list({
      deviceSn: q.deviceSn,
      since: q.since ? new Date(q.since) : undefined,
      order: sortOrder(q),
      skip,
      take,
    });
    const items = rows.map((r): RejectedLineView => ({
      ...r,
      firstReceivedAt: r.firstReceivedAt.toISOString(),
      lastReceivedAt: r.lastReceivedAt.toISOString(),
    }));
    return { items, page, pageSize, total };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Dismiss a rejected line once it has been looked at (operation-logged)' })
  async remove(
    @Param() p: RejectedLineIdDto,
    @CurrentUser() who: Principal,
    @Client() client: ClientInfo,
  ): Promise<void> {
    if (!(await this.rejected.remove(p.id))) {
      throw new AccessCoreException(AccessCoreErrorCode.NOT_FOUND, `no rejected line ${p.id}`);
    }
    await this.operationLog.record({
      actor: `operator:${who.name}`,
      action: 'push.rejected-line.delete',
      target: `push-rejected-line:${p.id}`,
      ip: client.ip ?? null,
      userAgent: client.userAgent ?? null,
      detail: { via: 'api' },
    });
  }
}
