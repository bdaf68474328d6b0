import type { Request } from 'express';
import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { requestMeta } from '../audit/audit.service';
import { type Limit, RateLimitService } from '../rate-limit/rate-limit.service';
import { ActivationCodeService } from './activation-code.service';
import { PortalError, PortalErrorCode } from './portal-error';

const FIELDS = new Set(['code', 'publicKey', 'hostname', 'siteHello']);

/**
 * Scripted connector installs: the connector redeems a single-use activation code with its
 * public key (the code is the credential; no session). Answers the same fields as the device
 * flow's token response so the connector handles both alike.
 */
@Controller('api/v1/connector-activations')
export class ConnectorActivationController {
  /** Wrong codes per client address: guessing codes must cost more than it can gain. */
  private readonly failures: Limit;

  constructor(
    private readonly codes: ActivationCodeService,
    rateLimits: RateLimitService,
  ) {
    this.failures = rateLimits.limit('activation-code-ip', { points: 10, windowS: 900 }, 'activation code attempts');
  }

  @Post()
  @HttpCode(201)
  async redeem(@Req() req: Request, @Body() body: Record<string, unknown> | undefined) {
    const unknown = Object.keys(body ?? {}).filter((k) => !FIELDS.has(k));
    if (unknown.length > 0)
      throw new PortalError(PortalErrorCode.INVALID_INPUT, `unknown fields: ${unknown.join(', ')}`);
    const { code, publicKey, hostname, siteHello } = body ?? {};
    if (typeof code !== 'string' || typeof publicKey !== 'string' || typeof hostname !== 'string') {
      throw new PortalError(PortalErrorCode.INVALID_INPUT, 'code, publicKey and hostname are required strings');
    }
    if (code.length > 64 || publicKey.length > 4096 || hostname.length > 253) {
      throw new PortalError(PortalErrorCode.INVALID_INPUT, 'a field is too long');
    }
    const meta = requestMeta(req);
    const ipKey = meta.ip ?? 'unknown';
    // Counted before the code is looked up, so parallel guesses cannot all pass the limit.
    const spent = await this.failures.attempt(ipKey);
    let r: Awaited<ReturnType<ActivationCodeService['redeem']>>;
    try {
      r = await this.codes.redeem({ code, publicKeyPem: publicKey, hostname, siteHello }, meta);
    } catch (err) {
      if (!(err instanceof PortalError && err.code === PortalErrorCode.ACTIVATION_CODE_INVALID)) await spent.refund();
      throw err;
    }
    await spent.refund();
    return {
      connector_id: r.connectorId,
      organization_id: r.orgId,
      organization_slug: r.orgSlug,
      organization_name: r.orgName,
      area: r.area,
      broker_url: r.brokerUrl,
    };
  }
}
