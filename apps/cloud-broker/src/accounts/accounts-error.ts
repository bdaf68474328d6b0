import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';

/** Error codes of accounts, companies and the portal API; each maps to one HTTP status. */
export const AccountsErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  EMAIL_NOT_VERIFIED: 'EMAIL_NOT_VERIFIED',
  EMAIL_TAKEN: 'EMAIL_TAKEN',
  PASSWORD_POLICY: 'PASSWORD_POLICY',
  TOKEN_INVALID: 'TOKEN_INVALID',
  TOO_MANY_ATTEMPTS: 'TOO_MANY_ATTEMPTS',
  CSRF_FAILED: 'CSRF_FAILED',
  SESSION_NOT_FOUND: 'SESSION_NOT_FOUND',
  COMPANY_NOT_FOUND: 'COMPANY_NOT_FOUND',
  MEMBER_NOT_FOUND: 'MEMBER_NOT_FOUND',
  INVITATION_NOT_FOUND: 'INVITATION_NOT_FOUND',
  INVITATION_EMAIL_MISMATCH: 'INVITATION_EMAIL_MISMATCH',
  FORBIDDEN_ROLE: 'FORBIDDEN_ROLE',
  LAST_OWNER: 'LAST_OWNER',
  AREA_NOT_FOUND: 'AREA_NOT_FOUND',
  DEVICE_CODE_NOT_FOUND: 'DEVICE_CODE_NOT_FOUND',
  KEY_IN_USE: 'KEY_IN_USE',
  INVALID_INPUT: 'INVALID_INPUT',
  SITE_ALREADY_CONNECTED: 'SITE_ALREADY_CONNECTED',
} as const;
export type AccountsErrorCode = (typeof AccountsErrorCode)[keyof typeof AccountsErrorCode];

export const ACCOUNTS_ERROR_STATUS: { readonly [K in AccountsErrorCode]: number } = {
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  EMAIL_NOT_VERIFIED: 403,
  EMAIL_TAKEN: 409,
  PASSWORD_POLICY: 400,
  TOKEN_INVALID: 400,
  TOO_MANY_ATTEMPTS: 429,
  CSRF_FAILED: 403,
  SESSION_NOT_FOUND: 404,
  COMPANY_NOT_FOUND: 404,
  MEMBER_NOT_FOUND: 404,
  INVITATION_NOT_FOUND: 404,
  INVITATION_EMAIL_MISMATCH: 403,
  FORBIDDEN_ROLE: 403,
  LAST_OWNER: 409,
  AREA_NOT_FOUND: 404,
  DEVICE_CODE_NOT_FOUND: 404,
  KEY_IN_USE: 409,
  INVALID_INPUT: 400,
  SITE_ALREADY_CONNECTED: 409,
};

export class AccountsError extends Error {
  constructor(
    readonly code: AccountsErrorCode,
    message: string,
    readonly options: { cause?: unknown; retryAfterS?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AccountsError';
  }
  get status(): number {
    return ACCOUNTS_ERROR_STATUS[this.code];
  }
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** JSON `{ code, message, requestId }` for AccountsError (registered next to AllExceptionsFilter). */
@Catch(AccountsError)
export class AccountsErrorFilter implements ExceptionFilter {
  private readonly log: Logger;

  constructor(logger: Logger) {
    this.log = logger.child({ component: 'accounts-http' });
  }

  catch(err: AccountsError, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<IncomingMessage>();
    const res = host.switchToHttp().getResponse<ServerResponse>();
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    this.log.info(
      { requestId, code: err.code, status: err.status, method: req.method, url: req.url },
      'request rejected',
    );
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const json = JSON.stringify({ code: err.code, message: err.message, requestId });
    const headers: Record<string, string | number> = {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(json),
      'Cache-Control': 'no-store',
    };
    if (err.options.retryAfterS !== undefined) headers['Retry-After'] = err.options.retryAfterS;
    res.writeHead(err.status, headers);
    res.end(json);
  }
}
