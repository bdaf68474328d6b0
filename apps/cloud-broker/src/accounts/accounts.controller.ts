import type { Request, Response } from 'express';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import { AuditService, requestMeta } from '../audit/audit.service';
import { AccountsError, AccountsErrorCode } from './accounts-error';
import { ChangePasswordDto, CompletePasswordResetDto, EmailDto, SignInDto, SignUpDto, TokenDto } from './accounts.dto';
import { AccountsService, type PublicUser, type SessionView } from './accounts.service';
import { AuthGuard, type AuthContext, CurrentAuth } from './auth.guard';
import { WebCookies } from './web-session';

@Controller('api/v1')
export class AccountsController {
  constructor(
    private readonly accounts: AccountsService,
    private readonly cookies: WebCookies,
    private readonly audit: AuditService,
  ) {}

  @Post('accounts')
  signUp(@Body() dto: SignUpDto, @Req() req: Request): Promise<PublicUser> {
    return this.accounts.signUp(dto, requestMeta(req));
  }

  @Post('accounts/verify-email')
  @HttpCode(204)
  async verifyEmail(@Body() dto: TokenDto, @Req() req: Request): Promise<void> {
    await this.accounts.verifyEmail(dto.token, requestMeta(req));
  }

  @Post('accounts/resend-verification')
  @HttpCode(202)
  async resend(@Body() dto: EmailDto, @Req() req: Request): Promise<void> {
    await this.accounts.resendVerification(dto.email, requestMeta(req));
  }

  /** Sign in: sets the session and CSRF cookies; the CSRF value is also in the body for API clients. */
  @Post('sessions')
  async signIn(
    @Body() dto: SignInDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ userId: string; sessionId: string; csrfToken: string }> {
    const s = await this.accounts.signIn(dto.email, dto.password, requestMeta(req));
    this.cookies.setSession(res, s.token);
    const csrfToken = this.cookies.rotateCsrf(res);
    return { userId: s.user.id, sessionId: s.session.id, csrfToken };
  }

  @Delete('sessions/current')
  @UseGuards(AuthGuard)
  @HttpCode(204)
  async signOut(
    @CurrentAuth() auth: AuthContext,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<void> {
    if (!auth.sessionId)
      throw new AccountsError(AccountsErrorCode.SESSION_NOT_FOUND, 'not a cookie session; revoke the token instead');
    await this.accounts.signOut(auth.userId, auth.sessionId, requestMeta(req));
    this.cookies.clearSession(res);
  }

  @Get('sessions')
  @UseGuards(AuthGuard)
  sessions(@CurrentAuth() auth: AuthContext): Promise<SessionView[]> {
    return this.accounts.listSessions(auth.userId, auth.sessionId);
  }

  @Delete('sessions/:id')
  @UseGuards(AuthGuard)
  @HttpCode(204)
  async endSession(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Req() req: Request): Promise<void> {
    await this.accounts.endSession(auth.userId, id, requestMeta(req));
  }

  @Get('me')
  @UseGuards(AuthGuard)
  me(@CurrentAuth() auth: AuthContext): Promise<PublicUser> {
    return this.accounts.me(auth.userId);
  }

  @Get('me/audit')
  @UseGuards(AuthGuard)
  myAudit(@CurrentAuth() auth: AuthContext): ReturnType<AuditService['listForUser']> {
    return this.audit.listForUser(auth.userId);
  }

  @Post('me/password')
  @UseGuards(AuthGuard)
  @HttpCode(204)
  async changePassword(
    @CurrentAuth() auth: AuthContext,
    @Body() dto: ChangePasswordDto,
    @Req() req: Request,
  ): Promise<void> {
    await this.accounts.changePassword(
      auth.userId,
      auth.sessionId,
      dto.currentPassword,
      dto.newPassword,
      requestMeta(req),
    );
  }

  @Post('password-resets')
  @HttpCode(202)
  async requestReset(@Body() dto: EmailDto, @Req() req: Request): Promise<void> {
    await this.accounts.requestPasswordReset(dto.email, requestMeta(req));
  }

  @Post('password-resets/complete')
  @HttpCode(204)
  async completeReset(@Body() dto: CompletePasswordResetDto, @Req() req: Request): Promise<void> {
    await this.accounts.completePasswordReset(dto.token, dto.newPassword, requestMeta(req));
  }
}
