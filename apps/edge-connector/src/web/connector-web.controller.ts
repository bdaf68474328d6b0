import { Body, Controller, Get, Inject, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import QRCode from 'qrcode';
import { ActivationError, ActivationErrorCode } from '../activation/activation-error';
import { ActivationService } from '../activation/activation.service';
import { ConnectorRuntime } from '../activation/connector-runtime';
import { isLanguage, type Language, type MessageKey, negotiateLanguage, translator } from '../i18n/i18n';
import { renderConnectorPage, type PageModel } from './connector-page';
import { LocalOriginGuard } from './local-origin.guard';

export const DEFAULT_LOCAL_APP_URL = Symbol('DEFAULT_LOCAL_APP_URL');

const LANG_COOKIE = 'lb_lang';

/** Notices a redirect may ask for; anything else in the query is ignored. */
const NOTICES: Readonly<Record<string, { kind: 'ok' | 'error'; key: MessageKey }>> = {
  saved: { kind: 'ok', key: 'address.saved' },
  'invalid-address': { kind: 'error', key: 'error.invalidAddress' },
  'unknown-area': { kind: 'error', key: 'error.unknownArea' },
  'code-invalid': { kind: 'error', key: 'error.codeInvalid' },
  unreachable: { kind: 'error', key: 'error.unreachable' },
  refused: { kind: 'error', key: 'error.generic' },
};

function noticeFor(code: ActivationErrorCode, message: string): string {
  switch (code) {
    case ActivationErrorCode.INVALID_INPUT:
      return message.startsWith('unknown area') ? 'unknown-area' : 'invalid-address';
    case ActivationErrorCode.CODE_INVALID:
      return 'code-invalid';
    case ActivationErrorCode.UNREACHABLE:
      return 'unreachable';
    case ActivationErrorCode.REFUSED:
    case ActivationErrorCode.DENIED:
    case ActivationErrorCode.EXPIRED:
    case ActivationErrorCode.BUSY:
    case ActivationErrorCode.CANCELLED:
      return 'refused';
  }
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { Location: location, 'Cache-Control': 'no-store' });
  res.end();
}

type FormBody = Record<string, unknown> | undefined;

/** The installer's page: activation steps, then status, QR and server address. Loopback only. */
@Controller()
@UseGuards(LocalOriginGuard)
export class ConnectorWebController {
  constructor(
    @Inject(ActivationService) private readonly activation: ActivationService,
    @Inject(ConnectorRuntime) private readonly runtime: ConnectorRuntime,
    @Inject(DEFAULT_LOCAL_APP_URL) private readonly defaultLocalAppUrl: string,
  ) {}

  @Get()
  async page(
    @Req() req: IncomingMessage,
    @Res() res: ServerResponse,
    @Query('lang') langParam?: string,
    @Query('n') notice?: string,
    @Query('d') detail?: string,
  ): Promise<void> {
    let lang: Language;
    const headers: Record<string, string> = {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Frame-Options': 'DENY',
      // no-referrer would make Chromium send `Origin: null` on our own form posts (refused by the guard).
      'Referrer-Policy': 'same-origin',
      'Content-Security-Policy':
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'",
    };
    if (isLanguage(langParam)) {
      lang = langParam;
      headers['Set-Cookie'] = `${LANG_COOKIE}=${lang}; Path=/; Max-Age=31536000; SameSite=Strict; HttpOnly`;
    } else {
      const saved = cookie(req, LANG_COOKIE);
      lang = isLanguage(saved) ? saved : negotiateLanguage(req.headers['accept-language']);
    }
    const view = this.activation.view();
    const { areas, fallback } = view.phase === 'setup' ? await this.activation.areas() : { areas: [], fallback: false };
    const state = this.runtime.state;
    const orgQr = this.runtime.orgQr;
    const qrSvg = orgQr
      ? await QRCode.toString(orgQr.payload, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 })
      : undefined;
    const n = notice !== undefined ? NOTICES[notice] : undefined;
    const model: PageModel = {
      lang,
      t: translator(lang),
      view,
      areas,
      areasFallback: fallback,
      defaultLocalAppUrl: this.defaultLocalAppUrl,
      state,
      connection: this.runtime.connection(),
      localAppUrl: this.runtime.localAppUrl,
      qrSvg,
      notice: n ? { ...n, params: { detail: (detail ?? '').slice(0, 300) } } : undefined,
    };
    const body = renderConnectorPage(model);
    res.writeHead(200, { ...headers, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }

  @Post('activation/start')
  async start(@Body() body: FormBody, @Res() res: ServerResponse): Promise<void> {
    await this.guarded(res, () =>
      this.activation.begin({ areaId: str(body?.area), localAppUrl: str(body?.localAppUrl) }),
    );
  }

  @Post('activation/code')
  async code(@Body() body: FormBody, @Res() res: ServerResponse): Promise<void> {
    await this.guarded(res, () =>
      this.activation.redeem({ areaId: str(body?.area), localAppUrl: str(body?.localAppUrl), code: str(body?.code) }),
    );
  }

  @Post('activation/cancel')
  cancel(@Res() res: ServerResponse): void {
    this.activation.cancel();
    redirect(res, '/');
  }

  @Post('activation/reset')
  async reset(@Res() res: ServerResponse): Promise<void> {
    // Only a connector the cloud no longer accepts may forget its activation from the page.
    if (this.runtime.connection().revoked) {
      this.activation.cancel();
      await this.runtime.reset();
    }
    redirect(res, '/');
  }

  @Post('settings/server-address')
  serverAddress(@Body() body: FormBody, @Res() res: ServerResponse): void {
    const ok = this.runtime.setLocalAppUrl(str(body?.localAppUrl), 'local');
    redirect(res, ok ? '/?n=saved' : '/?n=invalid-address');
  }

  @Get('org-qr.svg')
  async qrSvg(@Res() res: ServerResponse): Promise<void> {
    const payload = this.runtime.orgQr?.payload;
    if (!payload) return this.notFound(res);
    const svg = await QRCode.toString(payload, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    res.writeHead(200, { 'Content-Type': 'image/svg+xml', 'Cache-Control': 'no-store' });
    res.end(svg);
  }

  @Get('org-qr.png')
  async qrPng(@Res() res: ServerResponse): Promise<void> {
    const payload = this.runtime.orgQr?.payload;
    if (!payload) return this.notFound(res);
    const png = await QRCode.toBuffer(payload, { type: 'png', errorCorrectionLevel: 'M', margin: 2, scale: 8 });
    res.writeHead(200, { 'Content-Type': 'image/png', 'Cache-Control': 'no-store' });
    res.end(png);
  }

  private notFound(res: ServerResponse): void {
    const body = JSON.stringify({ code: 'ORG_QR_NOT_AVAILABLE', message: 'no organisation QR yet' });
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end(body);
  }

  private async guarded(res: ServerResponse, action: () => Promise<unknown>): Promise<void> {
    try {
      await action();
      redirect(res, '/');
    } catch (err) {
      if (!(err instanceof ActivationError)) throw err;
      if (err.code === ActivationErrorCode.BUSY) {
        redirect(res, '/');
        return;
      }
      redirect(res, `/?n=${noticeFor(err.code, err.message)}&d=${encodeURIComponent(err.message)}`);
    }
  }
}
