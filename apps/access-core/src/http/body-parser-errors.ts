import type { ServerResponse } from 'node:http';
import { AccessCoreErrorCode, AccessCoreException } from './access-core.exception';
import type { AccessCoreRequest } from './request-context';

/** Request bodies larger than this are refused with 413 PAYLOAD_TOO_LARGE. */
export const JSON_BODY_LIMIT = '100kb';

interface BodyParserError extends Error {
  readonly type: string;
  readonly status?: number;
}

function isBodyParserError(err: unknown): err is BodyParserError {
  return err instanceof Error && 'type' in err && typeof err.type === 'string';
}

/** Maps body-parser's error types to our codes, keeping the original as the cause. */
export function translateBodyError(err: unknown): unknown {
  if (!isBodyParserError(err)) return err;
  const cause = { cause: err };
  switch (err.type) {
    case 'entity.parse.failed':
      return new AccessCoreException(
        AccessCoreErrorCode.INVALID_JSON,
        'the request body is not valid JSON',
        undefined,
        cause,
      );
    case 'entity.too.large':
      return new AccessCoreException(
        AccessCoreErrorCode.PAYLOAD_TOO_LARGE,
        `the request body exceeds ${JSON_BODY_LIMIT}`,
        undefined,
        cause,
      );
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AccessCoreException(AccessCoreErrorCode.UNSUPPORTED_MEDIA_TYPE, err.message, undefined, cause);
    default:
      return err.status !== undefined && err.status >= 400 && err.status < 500
        ? new AccessCoreException(
            AccessCoreErrorCode.BAD_REQUEST,
            'the request body could not be read',
            undefined,
            cause,
          )
        : err;
  }
}

/** Express error middleware (four parameters) placed right after the JSON parser. */
export function bodyErrorTranslator() {
  return (err: unknown, _req: AccessCoreRequest, _res: ServerResponse, next: (err?: unknown) => void): void =>
    next(translateBodyError(err));
}
