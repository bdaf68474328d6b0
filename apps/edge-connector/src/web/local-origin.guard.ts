import { type CanActivate, type ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';

const LOOPBACK_HOST = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d{1,5})?$/i;
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The page listens on loopback only, but any web site the installer visits could still
 * reach it through the browser. Refuse other Host names (DNS rebinding) and, for changes,
 * requests another origin started (CSRF): the Origin must be this page itself, and a browser
 * that says `Sec-Fetch-Site: cross-site` is refused even without an Origin.
 */
@Injectable()
export class LocalOriginGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<IncomingMessage>();
    const host = req.headers.host ?? '';
    if (!LOOPBACK_HOST.test(host)) throw new ForbiddenException('the connector page answers on localhost only');
    if (!UNSAFE.has(req.method ?? 'GET')) return true;
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${host}`) {
      throw new ForbiddenException('cross-origin request refused');
    }
    if (req.headers['sec-fetch-site'] === 'cross-site') throw new ForbiddenException('cross-site request refused');
    return true;
  }
}
