import type { Response } from 'express';
import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { PORTAL_CSS, PORTAL_CSS_HREF, PORTAL_JS, PORTAL_JS_HREF } from './portal-assets';

const ASSETS: Readonly<Record<string, { readonly type: string; readonly body: string }>> = {
  [PORTAL_CSS_HREF.slice('/assets/'.length)]: { type: 'text/css; charset=utf-8', body: PORTAL_CSS },
  [PORTAL_JS_HREF.slice('/assets/'.length)]: { type: 'text/javascript; charset=utf-8', body: PORTAL_JS },
};

/** The pages' stylesheet and script; the name holds a content hash, so they are cached for good. */
@Controller('assets')
export class AssetsController {
  @Get(':name')
  asset(@Param('name') name: string, @Res() res: Response): void {
    const a = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
    if (!a) throw new NotFoundException();
    res
      .status(200)
      .set({
        'Content-Type': a.type,
        'Cache-Control': 'public, max-age=31536000, immutable',
        'X-Content-Type-Options': 'nosniff',
      })
      .send(a.body);
  }
}
