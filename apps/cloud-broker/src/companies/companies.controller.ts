import type { Request } from 'express';
import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req, UseGuards } from '@nestjs/common';
import { AuthGuard, type AuthContext, CurrentAuth } from '../accounts/auth.guard';
import { type AuditEntry, AuditService, requestMeta } from '../audit/audit.service';
import { AcceptInvitationDto, AuditQueryDto, CompanyNameDto, InviteDto, RoleDto } from './companies.dto';
import { CompaniesService, type CompanyView } from './companies.service';
import type { Invitation, Member, Role } from './company.repository';

@Controller('api/v1')
@UseGuards(AuthGuard)
export class CompaniesController {
  constructor(
    private readonly companies: CompaniesService,
    private readonly audit: AuditService,
  ) {}

  @Get('companies')
  list(@CurrentAuth() auth: AuthContext): Promise<CompanyView[]> {
    return this.companies.listMine(auth.userId);
  }

  @Post('companies')
  create(@CurrentAuth() auth: AuthContext, @Body() dto: CompanyNameDto, @Req() req: Request): Promise<CompanyView> {
    return this.companies.create(auth.userId, dto.name, requestMeta(req));
  }

  @Get('companies/:orgId')
  get(@CurrentAuth() auth: AuthContext, @Param('orgId') orgId: string): Promise<CompanyView> {
    return this.companies.get(auth.userId, orgId);
  }

  @Patch('companies/:orgId')
  rename(
    @CurrentAuth() auth: AuthContext,
    @Param('orgId') orgId: string,
    @Body() dto: CompanyNameDto,
    @Req() req: Request,
  ): Promise<CompanyView> {
    return this.companies.rename(auth.userId, orgId, dto.name, requestMeta(req));
  }

  @Get('companies/:orgId/members')
  members(@CurrentAuth() auth: AuthContext, @Param('orgId') orgId: string): Promise<Member[]> {
    return this.companies.members(auth.userId, orgId);
  }

  @Patch('companies/:orgId/members/:userId')
  @HttpCode(204)
  async setRole(
    @CurrentAuth() auth: AuthContext,
    @Param('orgId') orgId: string,
    @Param('userId') memberId: string,
    @Body() dto: RoleDto,
    @Req() req: Request,
  ): Promise<void> {
    await this.companies.setRole(auth.userId, orgId, memberId, dto.role, requestMeta(req));
  }

  @Delete('companies/:orgId/members/:userId')
  @HttpCode(204)
  async remove(
    @CurrentAuth() auth: AuthContext,
    @Param('orgId') orgId: string,
    @Param('userId') memberId: string,
    @Req() req: Request,
  ): Promise<void> {
    await this.companies.removeMember(auth.userId, orgId, memberId, requestMeta(req));
  }

  @Post('companies/:orgId/invitations')
  invite(
    @CurrentAuth() auth: AuthContext,
    @Param('orgId') orgId: string,
    @Body() dto: InviteDto,
    @Req() req: Request,
  ): Promise<Invitation> {
    return this.companies.invite(auth.userId, orgId, dto.email, dto.role, requestMeta(req));
  }

  @Get('companies/:orgId/invitations')
  invitations(@CurrentAuth() auth: AuthContext, @Param('orgId') orgId: string): Promise<Invitation[]> {
    return this.companies.invitations(auth.userId, orgId);
  }

  @Post('invitations/accept')
  @HttpCode(200)
  accept(
    @CurrentAuth() auth: AuthContext,
    @Body() dto: AcceptInvitationDto,
    @Req() req: Request,
  ): Promise<{ orgId: string; role: Role }> {
    return this.companies.acceptInvitation(auth.userId, dto.token, requestMeta(req));
  }

  @Get('companies/:orgId/audit')
  async auditLog(
    @CurrentAuth() auth: AuthContext,
    @Param('orgId') orgId: string,
    @Query() q: AuditQueryDto,
  ): Promise<AuditEntry[]> {
    await this.companies.requireMember(auth.userId, orgId, ['owner', 'admin']);
    return this.audit.listForOrg(orgId, { limit: q.limit, before: q.before });
  }
}
