/**
 * Error codes access-core returns in `{ code, message, requestId }`. Clients branch on `code`,
 * never on `message`. Each code maps to exactly one HTTP status.
 */
export const AccessCoreErrorCode = {
  /** The body or query failed validation (unknown field, wrong type, out of range). */
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  /** The body is not well-formed JSON. */
  INVALID_JSON: 'INVALID_JSON',
  /** Any other malformed request. */
  BAD_REQUEST: 'BAD_REQUEST',
  /** No such route or resource. */
  NOT_FOUND: 'NOT_FOUND',
  /** The body is larger than the server accepts. */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** The body's content type is not accepted. */
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  /** A dependency (the database) is not reachable; retry later. */
  NOT_READY: 'NOT_READY',
  /** A bug or unexpected condition; details are logged with the requestId, never returned. */
  INTERNAL: 'INTERNAL',
} as const;
export type AccessCoreErrorCode = (typeof AccessCoreErrorCode)[keyof typeof AccessCoreErrorCode];

/** Exhaustive: the compiler refuses a code without a status. */
export const ACCESS_CORE_ERROR_STATUS: { readonly [K in AccessCoreErrorCode]: number } = {
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  BAD_REQUEST: 400,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  NOT_READY: 503,
  INTERNAL: 500,
};

export interface ErrorDetail {
  readonly field: string;
  readonly problems: readonly string[];
}

export class AccessCoreException extends Error {
  constructor(
    readonly code: AccessCoreErrorCode,
    message: string,
    readonly details?: readonly ErrorDetail[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AccessCoreException';
  }

  get status(): number {
    return ACCESS_CORE_ERROR_STATUS[this.code];
  }
}
