import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { OrgQrError, OrgQrErrorCode } from './org-qr-jws';
import { OrgQrService, type ResolvedOrg } from './org-qr.service';

function tokenOf(v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) throw new OrgQrError(OrgQrErrorCode.MALFORMED, 'token is required');
  return v;
}

/**
 * What the mobile app calls after scanning, before it sends any credential. Public: the token
 * is not a secret and the answer holds nothing the QR itself does not. GET for simple clients,
 * POST so the token stays out of access logs.
 */
@Controller('api/v1/org-qr')
export class OrgQrController {
  constructor(private readonly orgQr: OrgQrService) {}

  @Get('resolve')
  resolveGet(@Query('token') token: unknown): Promise<ResolvedOrg> {
    return this.orgQr.resolve(tokenOf(token));
  }

  @Post('resolve')
  @HttpCode(200)
  resolvePost(@Body() body: Record<string, unknown> | undefined): Promise<ResolvedOrg> {
    const extra = Object.keys(body ?? {}).filter((k) => k !== 'token');
    if (extra.length > 0) throw new OrgQrError(OrgQrErrorCode.MALFORMED, `unknown fields: ${extra.join(', ')}`);
    return this.orgQr.resolve(tokenOf(body?.token));
  }
}
