import type { Request, Response } from 'express';
import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { BrokerError, BrokerErrorCode } from '../common/broker-error';
import type { MobileAppFiles } from './mobile-app-files';

export const MOBILE_APP_FILES = Symbol('MOBILE_APP_FILES');

/**
 * The app runs its own code only: no inline script, nothing from another origin. Ionic sets
 * style attributes on its components, hence 'unsafe-inline' for styles (not scripts). Images
 * may be data: (QR codes the site draws) or blob: (a picked photo); the camera stream needs no
 * media-src. 'self' in connect-src covers the same-origin WebSocket of the live stream.
 */
export const MOBILE_APP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The installable phone app at /app/ (same origin as the client ingress /t/<org>/…, so the app
 * needs no CORS) and the organisation QR's own link /o.
 */
@Controller()
export class MobileAppController {
  constructor(@Inject(MOBILE_APP_FILES) private readonly files: MobileAppFiles) {}

  /**
   * What a phone's camera app opens: `<broker>/o#<JWS>`. The fragment never reaches the server,
   * and a redirect without a fragment keeps the original one (RFC 9110 §10.2.2), so the app
   * starts at /app/#<JWS> and opens "add organisation" with it.
   */
  @Get('o')
  orgLink(@Res() res: Response): void {
    res.set({ 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' }).redirect(302, '/app/');
  }

  @Get(['app', 'app/*path'])
  serve(@Req() req: Request, @Res() res: Response): void {
    const pathname = req.path;
    if (pathname === '/app') {
      res.redirect(301, '/app/');
      return;
    }
    let name = pathname.slice('/app/'.length);
    try {
      name = decodeURIComponent(name);
    } catch {
      throw new BrokerError(BrokerErrorCode.NOT_FOUND, 'no such file in the app');
    }
    if (name === '') name = 'index.html';
    const file = this.files.get(name);
    if (!file) {
      throw new BrokerError(
        BrokerErrorCode.NOT_FOUND,
        this.files.built ? 'no such file in the app' : 'the phone app is not built (npm run build)',
      );
    }
    res.set({
      'Content-Type': file.contentType,
      // The service worker and the page must be revalidated so an update reaches phones.
      'Cache-Control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'Content-Security-Policy': MOBILE_APP_CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
      ...(name === 'sw.js' ? { 'Service-Worker-Allowed': '/app/' } : {}),
    });
    res.status(200).send(file.body);
  }
}
