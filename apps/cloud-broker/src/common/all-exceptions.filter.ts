import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import { type ErrorBody, isCodedError, pathOf } from '@lanbridge/errors';
import type { Logger } from '@lanbridge/logging';
import { DATABASE_RETRY_AFTER_S, isDatabaseUnavailable } from '../database/database-errors';
import { BROKER_ERROR_STATUS, BrokerErrorCode } from './broker-error';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

function codeForStatus(status: number): string {
  return (STATUS_CODES[status] ?? 'ERROR').toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}

interface Answer {
  status: number;
  code: string;
  message: string;
  headers: Record<string, string>;
}

function classify(exception: unknown): Answer {
  if (isDatabaseUnavailable(exception)) {
    // The database is away, not broken by this request: clients retry a 503.
    return {
      status: BROKER_ERROR_STATUS.DATABASE_UNAVAILABLE,
      code: BrokerErrorCode.DATABASE_UNAVAILABLE,
      message: 'the broker cannot reach its database; retry shortly',
      headers: { 'Retry-After': String(DATABASE_RETRY_AFTER_S) },
    };
  }
  if (isCodedError(exception)) {
    const e = exception;
    return { status: e.status, code: e.code, message: e.message, headers: e.responseHeaders() };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const body = exception.getResponse();
    const m = typeof body === 'object' && body !== null && 'message' in body ? body.message : exception.message;
    return {
      status,
      code: status === 400 ? 'VALIDATION_FAILED' : codeForStatus(status),
      message: Array.isArray(m) ? m.map(String).join('; ') : String(m),
      headers: {},
    };
  }
  return { status: 500, code: 'INTERNAL', message: 'internal error', headers: {} };
}

/**
 * The broker's one JSON exception filter: every error of every feature (a CodedError, Nest's own
 * HttpException, a database outage, anything else) becomes `{ code, message, requestId }`, with
 * one log line that names the path but never the query string, and no internals in a 5xx.
 * (HTML pages of the portal have their own page filter, which renders the same codes as a page.)
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly log: Logger;

  constructor(logger: Logger) {
    this.log = logger.child({ component: 'http' });
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<IncomingMessage>();
    const res = ctx.getResponse<ServerResponse>();
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();

    const a = classify(exception);
    if (a.status === 500) a.message = 'internal error';
    const line = { requestId, code: a.code, status: a.status, method: req.method, path: pathOf(req.url) };
    if (a.status < 500) this.log.info(line, 'request rejected');
    // A 503 we chose (database away, site key not known yet) is a state, not a bug: no stack.
    else if (a.status !== 500)
      this.log.warn(
        { ...line, reason: exception instanceof Error ? exception.message : undefined },
        'request refused for now',
      );
    else this.log.error({ ...line, err: exception }, 'request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body: ErrorBody = { code: a.code, message: a.message, requestId };
    const json = JSON.stringify(body);
    res.writeHead(a.status, {
      ...a.headers,
      'Cache-Control': 'no-store',
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(json),
    });
    res.end(json);
  }
}
