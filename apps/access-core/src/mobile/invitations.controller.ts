import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Client, CurrentUser } from '../auth/current-user.decorator';
import type { ClientInfo, Principal } from '../auth/principal';
import { Roles } from '../auth/roles.decorator';
import { IdParamDto } from './dto/id-param.dto';
import { CreateInvitationDto, ReinviteDto } from './dto/invitations.dto';
import { InvitationsService, type InvitationCreated, type InvitationView } from './invitations.service';
import { PageQueryDto, type Page } from './pagination';

@ApiTags('personnel: visitor invitations')
@Roles('personnel')
@Controller('api/v1/invitations')
export class InvitationsController {
  constructor(private readonly invitations: InvitationsService) {}

  @Get()
  @ApiOperation({ summary: 'My invitation records, newest first' })
  list(@Query() q: PageQueryDto, @CurrentUser() who: Principal): Promise<Page<InvitationView>> {
    return this.invitations.list(who.subjectId, q);
  }

  @Post()
  @ApiConflictResponse({ description: 'MAIL_NOT_CONFIGURED: no outgoing mail server; nothing was created' })
  @ApiOperation({ summary: 'Invite a visitor: returns the single-use QR and e-mails it to the visitor' })
  create(
    @Body() body: CreateInvitationDto,
    @CurrentUser() who: Principal,
    @Client() client: ClientInfo,
  ): Promise<InvitationCreated> {
    return this.invitations.create(body, who, client);
  }

  @Get(':id')
  get(@Param() p: IdParamDto, @CurrentUser() who: Principal): Promise<InvitationView> {
    return this.invitations.get(who.subjectId, p.id);
  }

  @Post(':id/reinvite')
  @HttpCode(201)
  @ApiOperation({ summary: 'Invite the same visitor again (new single-use QR, new e-mail)' })
  reinvite(
    @Param() p: IdParamDto,
    @Body() body: ReinviteDto,
    @CurrentUser() who: Principal,
    @Client() client: ClientInfo,
  ): Promise<InvitationCreated> {
    return this.invitations.reinvite(p.id, body, who, client);
  }
}
