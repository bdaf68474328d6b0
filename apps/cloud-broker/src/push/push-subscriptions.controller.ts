import type { IncomingMessage } from 'node:http';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { SiteTrustService } from '../site-trust/site-trust.service';
import { PushError, PushErrorCode } from './push-error';
import { type PushCaller, PushService, type PushSubscriptionView } from './push.service';

const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/;

/**
 * The app's push endpoints. Subscriptions are authenticated by a site access token: its issuer
 * names the site, hence the organisation, and it must verify with that site's key. The
 * organisation and the user (`role:sub`) come from the token, never from the request.
 */
@Controller('api/v1/push')
export class PushSubscriptionsController {
  constructor(
    private readonly push: PushService,
    private readonly siteTrust: SiteTrustService,
  ) {}

  /** Public: the key a browser passes to pushManager.subscribe({applicationServerKey}). */
  @Get('config')
  config(): { vapidPublicKey: string } {
    return { vapidPublicKey: this.push.vapidPublicKey() };
  }

  @Post('subscriptions')
  @HttpCode(201)
  async subscribe(@Req() req: IncomingMessage, @Body() body: unknown): Promise<PushSubscriptionView> {
    return this.push.subscribe(await this.caller(req), body);
  }

  @Get('subscriptions')
  async list(@Req() req: IncomingMessage): Promise<PushSubscriptionView[]> {
    return this.push.list(await this.caller(req));
  }

  @Delete('subscriptions/:id')
  @HttpCode(204)
  async unsubscribe(@Req() req: IncomingMessage, @Param('id') id: string): Promise<void> {
    await this.push.unsubscribe(await this.caller(req), id);
  }

  private async caller(req: IncomingMessage): Promise<PushCaller> {
    const header = req.headers.authorization;
    if (header === undefined) throw new PushError(PushErrorCode.SESSION_REQUIRED, 'a site access token is required');
    const token = BEARER.exec(header)?.[1];
    if (!token)
      throw new PushError(PushErrorCode.SESSION_INVALID, 'Authorization must be "Bearer <site access token>"');
    const r = await this.siteTrust.verifyAccessToken(token);
    if (r.ok) return { orgId: r.orgId, subject: `${r.role}:${r.sub}` };
    if (r.reason === 'key-unavailable') {
      throw new PushError(PushErrorCode.SITE_KEY_UNAVAILABLE, 'the site key is not known yet; retry shortly');
    }
    throw new PushError(PushErrorCode.SESSION_INVALID, `site access token refused (${r.reason})`);
  }
}
