import type { ServerResponse } from 'node:http';
import { AccessCoreErrorCode, AccessCoreException } from './access-core.exception';
import type { AccessCoreRequest } from './request-context';

/** Request bodies larger than this are refused with 413 PAYLOAD_TOO_LARGE. */
export const JSON_BODY_LIMIT = '100kb';

interface BodyParserError extends Error {
  readonly type?: string;
  readonly status?: number;
}

function isBodyParserError(err: unknown): err is BodyParserError {
  if (!(err instanceof Error)) return false;
  const { type, status } = err as BodyParserError;
  return typeof type === 'string' || (typeof status === 'number' && status >= 400 && status < 500);
}

/** The request's Content-Encoding when it names one other than identity. */
function declaredEncoding(req: AccessCoreRequest | undefined): string | undefined {
  const value = req?.headers['content-encoding']?.trim().toLowerCase();
  return value && value !== 'identity' ? value : undefined;
}

/**
 * Maps body-parser's errors to our codes, keeping the original as the cause. A body that does
 * not decode with its declared Content-Encoding (gzip on plain JSON) reaches us as the zlib
 * error with status 400 and no `type`: it is the client's doing, never a 500.
 */
export function translateBodyError(err: unknown, req?: AccessCoreRequest): unknown {
  if (!isBodyParserError(err)) return err;
  const cause = { cause: err };
  const encoding = declaredEncoding(req);
  if (err.type === undefined && encoding !== undefined) {
    return new AccessCoreException(
      AccessCoreErrorCode.INVALID_CONTENT_ENCODING,
      `the request body is not valid ${encoding.slice(0, 40)}; send it as declared by Content-Encoding, or without it`,
      undefined,
      cause,
    );
  }
  switch (err.type ?? '') {
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
  return (err: unknown, req: AccessCoreRequest, _res: ServerResponse, next: (err?: unknown) => void): void =>
    next(translateBodyError(err, req));
}
