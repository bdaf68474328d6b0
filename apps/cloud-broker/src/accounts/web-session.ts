import type { Request, Response } from 'express';
import { Inject, Injectable } from '@nestjs/common';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import { AccountsError, AccountsErrorCode } from './accounts-error';
import { randomToken, safeEqual } from './secrets';

export const SESSION_COOKIE = 'lb_session';
export const CSRF_COOKIE = 'lb_csrf';
const COOKIE_VALUE = /^[A-Za-z0-9_-]{16,128}$/;

/** Reads one cookie; values we set are base64url, anything else is ignored. */
export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const v = part.slice(eq + 1).trim();
      return COOKIE_VALUE.test(v) ? v : undefined;
    }
  }
  return undefined;
}

/** Cookie attributes of the portal: HttpOnly, SameSite=Lax, Secure behind https. */
@Injectable()
export class WebCookies {
  private readonly secure: boolean;
  private readonly sessionMaxAgeS: number;

  constructor(@Inject(BROKER_CONFIG) config: BrokerConfig) {
    this.secure = config.publicProto === 'https';
    this.sessionMaxAgeS = Math.floor(config.accounts.sessionAbsoluteMs / 1000);
  }

  setSession(res: Response, token: string): void {
    this.set(res, SESSION_COOKIE, token, this.sessionMaxAgeS);
  }

  clearSession(res: Response): void {
    this.set(res, SESSION_COOKIE, '', 0);
  }

  private set(res: Response, name: string, value: string, maxAgeS: number | undefined): void {
    const attrs = [`${name}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Lax'];
    if (maxAgeS !== undefined) attrs.push(`Max-Age=${maxAgeS}`);
    if (this.secure) attrs.push('Secure');
    res.append('Set-Cookie', attrs.join('; '));
  }

  /** The CSRF token of this browser (double-submit); sets the cookie when there is none yet. */
  csrfToken(req: Request, res: Response): string {
    const existing = readCookie(req, CSRF_COOKIE) ?? (res.locals.csrf as string | undefined);
    if (existing) return existing;
    return this.rotateCsrf(res);
  }

  /** A new CSRF token (at sign-in, so a token planted before sign-in is useless afterwards). */
  rotateCsrf(res: Response): string {
    const token = randomToken();
    res.locals.csrf = token;
    this.set(res, CSRF_COOKIE, token, undefined);
    return token;
  }

  /** Form field `_csrf` or header `X-CSRF-Token` must equal the cookie; else 403 CSRF_FAILED. */
  checkCsrf(req: Request): void {
    const cookie = readCookie(req, CSRF_COOKIE);
    const body = req.body as Record<string, unknown> | undefined;
    const sent = req.headers['x-csrf-token'] ?? (typeof body?._csrf === 'string' ? body._csrf : undefined);
    if (!cookie || typeof sent !== 'string' || !safeEqual(cookie, sent)) {
      throw new AccountsError(
        AccountsErrorCode.CSRF_FAILED,
        'missing or wrong CSRF token; reload the page and try again',
      );
    }
  }
}
