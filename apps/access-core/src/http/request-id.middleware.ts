import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Logger } from '@lanbridge/logging';
import type { AccessCoreRequest } from './request-context';

export const REQUEST_ID_HEADER = 'x-request-id';

// Caller-supplied ids (the broker sets one per tunnelled request) are kept for correlation,
// but only when they cannot smuggle anything into logs or headers.
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function pickRequestId(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && ACCEPTABLE_ID.test(value) ? value : randomUUID();
}

/** Assigns `req.requestId`, echoes it in X-Request-Id, and writes one access-log line per request. */
export function requestIdMiddleware(logger: Logger) {
  return (req: AccessCoreRequest, res: ServerResponse, next: () => void): void => {
    const requestId = pickRequestId(req.headers[REQUEST_ID_HEADER]);
    const started = process.hrtime.bigint();
    req.requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    res.once('finish', () => {
      logger.info(
        {
          requestId,
          method: req.method,
          path: (req.originalUrl ?? req.url ?? '').split('?')[0],
          status: res.statusCode,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
          ip: req.ip,
        },
        'request',
      );
    });
    next();
  };
}
