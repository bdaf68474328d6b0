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
    const refusal = localOriginRefusal(context.switchToHttp().getRequest<IncomingMessage>());
    if (refusal) throw new ForbiddenException(refusal);
    return true;
  }
}

/** Why the request is refused (see LocalOriginGuard), or undefined; also used by the uplink relay. */
export function localOriginRefusal(req: IncomingMessage): string | undefined {
  const host = req.headers.host ?? '';
  if (!LOOPBACK_HOST.test(host)) return 'the connector page answers on localhost only';
  if (!UNSAFE.has(req.method ?? 'GET')) return undefined;
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${host}`) return 'cross-origin request refused';
  if (req.headers['sec-fetch-site'] === 'cross-site') return 'cross-site request refused';
  return undefined;
}
