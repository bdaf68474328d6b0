import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ArgumentsHost, Catch, type ExceptionFilter, Inject } from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';
import { BROKER_LOGGER } from '../config/broker.config';

/** Error codes of `/api/v1/push/…` (docs/errors.md §4.8). */
export const PushErrorCode = {
  SESSION_REQUIRED: 'SESSION_REQUIRED',
  SESSION_INVALID: 'SESSION_INVALID',
  SITE_KEY_UNAVAILABLE: 'SITE_KEY_UNAVAILABLE',
  PUSH_SUBSCRIPTION_INVALID: 'PUSH_SUBSCRIPTION_INVALID',
  PUSH_ENDPOINT_NOT_ALLOWED: 'PUSH_ENDPOINT_NOT_ALLOWED',
  PUSH_SUBSCRIPTION_NOT_FOUND: 'PUSH_SUBSCRIPTION_NOT_FOUND',
} as const;
export type PushErrorCode = (typeof PushErrorCode)[keyof typeof PushErrorCode];

export const PUSH_ERROR_STATUS: { readonly [K in PushErrorCode]: number } = {
  SESSION_REQUIRED: 401,
  SESSION_INVALID: 401,
  SITE_KEY_UNAVAILABLE: 503,
  PUSH_SUBSCRIPTION_INVALID: 400,
  PUSH_ENDPOINT_NOT_ALLOWED: 400,
  PUSH_SUBSCRIPTION_NOT_FOUND: 404,
};

export class PushError extends Error {
  constructor(
    readonly code: PushErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PushError';
  }
  get status(): number {
    return PUSH_ERROR_STATUS[this.code];
  }
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** JSON `{ code, message, requestId }` for PushError, one log line each; 401s name the Bearer scheme. */
@Catch(PushError)
export class PushErrorFilter implements ExceptionFilter {
  private readonly log: Logger;

  constructor(@Inject(BROKER_LOGGER) logger: Logger) {
    this.log = logger.child({ component: 'push-http' });
  }

  catch(err: PushError, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<IncomingMessage>();
    const res = host.switchToHttp().getResponse<ServerResponse>();
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    const status = err.status;
    this.log.info(
      { requestId, code: err.code, status, method: req.method, url: req.url?.split('?')[0] },
      'push request rejected',
    );
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const json = JSON.stringify({ code: err.code, message: err.message, requestId });
    res.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(json),
      'Cache-Control': 'no-store',
      ...(status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {}),
    });
    res.end(json);
  }
}
