import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';
import { DATABASE_RETRY_AFTER_S, isDatabaseUnavailable } from '../database/database-errors';
import { BROKER_ERROR_STATUS, BrokerError, BrokerErrorCode } from './broker-error';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

function codeForStatus(status: number): string {
  return (STATUS_CODES[status] ?? 'ERROR').toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}

/** The one exception filter: a JSON `{ code, message, requestId }`, one log line, no internals on 5xx. */
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

    let status = 500;
    let code = 'INTERNAL';
    let message = 'internal error';
    const headers: Record<string, string> = {};
    if (isDatabaseUnavailable(exception)) {
      // The database is away, not broken by this request: clients retry a 503.
      status = BROKER_ERROR_STATUS.DATABASE_UNAVAILABLE;
      code = BrokerErrorCode.DATABASE_UNAVAILABLE;
      message = 'the broker cannot reach its database; retry shortly';
      headers['Retry-After'] = String(DATABASE_RETRY_AFTER_S);
    } else if (exception instanceof BrokerError) {
      status = exception.status;
      code = exception.code;
      message = exception.message;
    } else if (exception instanceof HttpException) {
      status = exception.getStatus();
      code = status === 400 ? 'VALIDATION_FAILED' : codeForStatus(status);
      const body = exception.getResponse();
      const m = typeof body === 'object' && body !== null && 'message' in body ? body.message : exception.message;
      message = Array.isArray(m) ? m.map(String).join('; ') : String(m);
    }
    if (status === 500) message = 'internal error';
    if (code === BrokerErrorCode.DATABASE_UNAVAILABLE) {
      this.log.warn({ err: exception, requestId, code, method: req.method, url: req.url }, 'database unavailable');
    } else if (status >= 500) {
      this.log.error({ err: exception, requestId, code, method: req.method, url: req.url }, 'request failed');
    } else {
      this.log.info({ requestId, code, status, method: req.method, url: req.url }, 'request rejected');
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const json = JSON.stringify({ code, message, requestId });
    res.writeHead(status, {
      ...headers,
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(json),
    });
    res.end(json);
  }
}
