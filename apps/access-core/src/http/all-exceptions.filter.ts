import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import type { ServerResponse } from 'node:http';
import { isCodedError, type ErrorBody as WireErrorBody, pathOf } from '@lanbridge/errors';
import type { Logger } from '@lanbridge/logging';
import {
  ACCESS_CORE_ERROR_STATUS,
  AccessCoreErrorCode,
  AccessCoreException,
  type ErrorDetail,
} from './access-core.exception';
import { REQUEST_ID_HEADER, pickRequestId } from './request-id.middleware';
import type { AccessCoreRequest } from './request-context';

export interface ErrorBody extends WireErrorBody {
  readonly code: AccessCoreErrorCode;
  readonly message: string;
  readonly requestId: string;
  readonly details?: readonly ErrorDetail[];
}

interface Classified {
  readonly code: AccessCoreErrorCode;
  readonly status: number;
  readonly message: string;
  readonly details?: readonly ErrorDetail[];
}

function classifyHttpException(exception: HttpException): Classified {
  const status = exception.getStatus();
  const message = exception.message;
  switch (status) {
    case 404:
      return { code: AccessCoreErrorCode.NOT_FOUND, status, message };
    case 413:
      return { code: AccessCoreErrorCode.PAYLOAD_TOO_LARGE, status, message: 'the request body is too large' };
    case 415:
      return { code: AccessCoreErrorCode.UNSUPPORTED_MEDIA_TYPE, status, message };
    case 503:
      return { code: AccessCoreErrorCode.NOT_READY, status, message };
    default:
      return status >= 400 && status < 500
        ? { code: AccessCoreErrorCode.BAD_REQUEST, status, message }
        : { code: AccessCoreErrorCode.INTERNAL, status: 500, message: 'internal server error' };
  }
}

function classify(exception: unknown): Classified {
  if (exception instanceof AccessCoreException) {
    const status = ACCESS_CORE_ERROR_STATUS[exception.code];
    return {
      code: exception.code,
      status,
      message: exception.code === AccessCoreErrorCode.INTERNAL ? 'internal server error' : exception.message,
      details: exception.details,
    };
  }
  if (exception instanceof HttpException) return classifyHttpException(exception);
  return { code: AccessCoreErrorCode.INTERNAL, status: 500, message: 'internal server error' };
}

/**
 * The only place errors become responses: one log line per failed request (warn for client
 * errors, error with the stack for server errors), a JSON body with a stable code and the
 * request id, and never an internal detail in a 5xx body.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly logger: Logger,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<AccessCoreRequest>();
    const res = http.getResponse<ServerResponse>();
    const requestId = req.requestId ?? pickRequestId(req.headers[REQUEST_ID_HEADER]);
    const c = classify(exception);
    const context = { requestId, method: req.method, path: pathOf(req.originalUrl ?? req.url) };
    if (c.status >= 500) {
      this.logger.error({ ...context, code: c.code, status: c.status, err: exception }, 'request failed');
    } else {
      this.logger.warn({ ...context, code: c.code, status: c.status, reason: c.message }, 'request rejected');
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body: ErrorBody = c.details?.length
      ? { code: c.code, message: c.message, requestId, details: c.details }
      : { code: c.code, message: c.message, requestId };
    res.setHeader('X-Request-Id', requestId);
    if (isCodedError(exception)) for (const [k, v] of Object.entries(exception.responseHeaders())) res.setHeader(k, v);
    this.adapterHost.httpAdapter.reply(res, body, c.status);
  }
}
