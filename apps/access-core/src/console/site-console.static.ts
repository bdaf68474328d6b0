import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { Logger } from '@lanbridge/logging';

/**
 * Serves the site console (the operators' web app, built by Vite into dist/apps/site-console)
 * at `/`. The API keeps its paths: anything under these prefixes is never answered from here,
 * so an unknown /api path still gets the API's JSON 404.
 */
const API_PREFIXES = ['/api/', '/api', '/iclock', '/healthz', '/readyz', '/.well-known/', '/openapi.json'];

/**
 * Scripts only from this origin (no inline script, no eval). Styles allow inline because antd
 * generates its component styles at run time (CSS-in-JS) into <style> elements. The camera
 * (person photos) is a MediaStream shown through srcObject, which needs no source list;
 * `blob:` and `data:` images are the captured and chosen photos before they are uploaded.
 */
export const SITE_CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "media-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** The built console: dist/apps/site-console next to the built access-core, or under dist/ from the sources. */
export function findSiteConsoleDir(configured: string | undefined): string | undefined {
  const candidates = configured
    ? [path.resolve(configured)]
    : [path.resolve(__dirname, '../../../site-console'), path.resolve(__dirname, '../../../../dist/apps/site-console')];
  return candidates.find(
    (dir) => fs.existsSync(path.join(dir, 'index.html')) && fs.existsSync(path.join(dir, 'assets')),
  );
}

function securityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', SITE_CONSOLE_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Permissions-Policy', 'camera=(self), microphone=(), geolocation=()');
}

type Next = (err?: unknown) => void;

export function siteConsoleMiddleware(
  dir: string | undefined,
  logger: Logger,
): (req: IncomingMessage, res: ServerResponse, next: Next) => void {
  if (!dir) {
    logger.warn('site console not built (run `node tools/build.js`): / answers 404');
    return (_req, _res, next) => next();
  }
  const root = path.resolve(dir);
  const indexHtml = fs.readFileSync(path.join(root, 'index.html'));
  logger.info({ dir: root }, 'serving the site console at /');
  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const url = req.url ?? '/';
    let pathname: string;
    try {
      pathname = decodeURIComponent(url.split('?')[0]);
    } catch {
      return next();
    }
    if (API_PREFIXES.some((p) => pathname === p || pathname.startsWith(p.endsWith('/') ? p : `${p}/`))) return next();
    if (pathname === '/api') return next();
    const file = path.resolve(root, `.${pathname}`);
    const inside = file.startsWith(root + path.sep);
    if (inside && !pathname.endsWith('/') && fs.existsSync(file) && fs.statSync(file).isFile()) {
      const body = fs.readFileSync(file);
      securityHeaders(res);
      res.setHeader('Content-Type', TYPES[path.extname(file)] ?? 'application/octet-stream');
      // Vite names assets by content hash: they never change under the same name.
      res.setHeader(
        'Cache-Control',
        pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
      res.setHeader('Content-Length', body.length);
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    // Client-side routes (/people, /devices …) get the app; a missing file with an extension is a 404.
    if (path.extname(pathname)) return next();
    securityHeaders(res);
    res.setHeader('Content-Type', TYPES['.html']);
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('Content-Length', indexHtml.length);
    res.end(req.method === 'HEAD' ? undefined : indexHtml);
  };
}
