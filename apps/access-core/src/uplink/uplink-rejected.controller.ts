import { Controller, Delete, Get, HttpCode, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { Client, CurrentUser } from '../auth/current-user.decorator';
import type { ClientInfo, Principal } from '../auth/principal';
import { Roles } from '../auth/roles.decorator';
import type { JsonValue } from '../database/site-setting.entity';
import { OperationLogRepository } from '../domain/operator.repository';
import { AccessCoreErrorCode, AccessCoreException } from '../http/access-core.exception';
import { PageQueryDto, pageWindow, type Page } from '../mobile/pagination';
import { CloudOutboxRepository } from './cloud-outbox.repository';

export class RejectedUplinkIdDto {
  @ApiPropertyOptional({ description: 'id of a set-aside uplink item' })
  @Matches(/^[1-9][0-9]{0,17}$/, { message: 'id must be a set-aside uplink item id' })
  id!: string;
}

/** An item the cloud refused as malformed, as an operator sees it. */
export interface RejectedUplinkView {
  readonly id: string;
  readonly kind: string;
  /** What the site tried to send, as it was queued. */
  readonly payload: { readonly [key: string]: JsonValue };
  /** Why the cloud refused it. */
  readonly problems: readonly string[];
  readonly queuedAt: string;
  readonly rejectedAt: string;
}

/**
 * Uplink items the cloud refused as malformed (UplinkWorker sets them aside instead of sending
 * them again), for operators to look at and dismiss.
 */
@ApiTags('admin: cloud')
@Roles('admin')
@Controller('api/v1/uplink/rejected')
export class UplinkRejectedController {
  constructor(
    private readonly outbox: CloudOutboxRepository,
    private readonly operationLog: OperationLogRepository,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Items the cloud refused as malformed, newest first, with what they held and why' })
  async list(@Query() q: PageQueryDto): Promise<Page<RejectedUplinkView>> {
    const { page, pageSize, skip, take } = pageWindow(q);
    const { rows, total } = await this.outbox.rejected(skip, take);
    const items = rows.map((r): RejectedUplinkView => ({
      id: r.id,
      kind: r.kind,
      payload: r.payload,
      problems: r.problems,
      queuedAt: r.queuedAt.toISOString(),
      rejectedAt: r.rejectedAt.toISOString(),
    }));
    return { items, page, pageSize, total };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Dismiss a set-aside uplink item once it has been looked at (operation-logged)' })
  async remove(
    @Param() p: RejectedUplinkIdDto,
    @CurrentUser() who: Principal,
    @Client() client: ClientInfo,
  ): Promise<void> {
    if (!(await this.outbox.removeRejected(p.id))) {
      throw new AccessCoreException(AccessCoreErrorCode.NOT_FOUND, `no set-aside uplink item ${p.id}`);
    }
    await this.operationLog.record({
      actor: `operator:${who.name}`,
      action: 'uplink.rejected.delete',
      target: `uplink-rejected:${p.id}`,
      ip: client.ip ?? null,
      userAgent: client.userAgent ?? null,
      detail: { via: 'api' },
    });
  }
}
