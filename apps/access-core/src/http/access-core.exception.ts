import { CodedError, type CodedErrorOptions } from '@lanbridge/errors';

/**
 * Error codes access-core returns in `{ code, message, requestId }`. Clients branch on `code`,
 * never on `message`. Each code maps to exactly one HTTP status.
 */
export const AccessCoreErrorCode = {
  /** The body or query failed validation (unknown field, wrong type, out of range). */
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  /** The body is not well-formed JSON. */
  INVALID_JSON: 'INVALID_JSON',
  /** The body does not decode with its Content-Encoding (e.g. `gzip` on plain JSON). */
  INVALID_CONTENT_ENCODING: 'INVALID_CONTENT_ENCODING',
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
  /** No access token, or it is malformed, expired or revoked. */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** Wrong user name / personnel id or password. */
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  /** The refresh token is unknown, expired, revoked or was already used. */
  INVALID_REFRESH_TOKEN: 'INVALID_REFRESH_TOKEN',
  /** The person exists but an administrator has not enabled App Login for them. */
  APP_LOGIN_DISABLED: 'APP_LOGIN_DISABLED',
  /** An encrypted login names an unknown, used or expired hello, or not the hello's nonce. */
  E2E_HELLO_INVALID: 'E2E_HELLO_INVALID',
  /** An encrypted login that cannot be decrypted (wrong key, alg other than ECDH-ES/A256GCM, garbage). */
  E2E_DECRYPT_FAILED: 'E2E_DECRYPT_FAILED',
  /** Signed in, but this role may not call this endpoint or touch this object. */
  FORBIDDEN: 'FORBIDDEN',
  /** Too many attempts; retry after the Retry-After header's seconds. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** The request conflicts with the current state (duplicate, already done). */
  CONFLICT: 'CONFLICT',
  /** The command's device is not polling, so it cannot be reached now. */
  DEVICE_OFFLINE: 'DEVICE_OFFLINE',
  /** The terminal is pending or rejected: nothing is sent to it until an operator approves it. */
  DEVICE_NOT_APPROVED: 'DEVICE_NOT_APPROVED',
  /** A remote unlock of a door that an active lockdown group holds. */
  DOOR_LOCKED_DOWN: 'DOOR_LOCKED_DOWN',
  /** No outgoing mail server is configured on this site. */
  MAIL_NOT_CONFIGURED: 'MAIL_NOT_CONFIGURED',
  /** The configured mail server refused or could not be reached. */
  MAIL_SEND_FAILED: 'MAIL_SEND_FAILED',
  /** A test mail: the mail server's host does not resolve, refuses the connection or does not answer. */
  MAIL_SERVER_UNREACHABLE: 'MAIL_SERVER_UNREACHABLE',
  /** A test mail: the mail server refused the user name and password. */
  MAIL_AUTH_FAILED: 'MAIL_AUTH_FAILED',
  /** A test mail: the TLS handshake failed (TLS on a plain port, a plain port on 465, a bad certificate). */
  MAIL_TLS_FAILED: 'MAIL_TLS_FAILED',
  /** A bug or unexpected condition; details are logged with the requestId, never returned. */
  INTERNAL: 'INTERNAL',
} as const;
export type AccessCoreErrorCode = (typeof AccessCoreErrorCode)[keyof typeof AccessCoreErrorCode];

/** Exhaustive: the compiler refuses a code without a status. */
export const ACCESS_CORE_ERROR_STATUS: { readonly [K in AccessCoreErrorCode]: number } = {
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  INVALID_CONTENT_ENCODING: 400,
  BAD_REQUEST: 400,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  NOT_READY: 503,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  INVALID_REFRESH_TOKEN: 401,
  APP_LOGIN_DISABLED: 403,
  E2E_HELLO_INVALID: 400,
  E2E_DECRYPT_FAILED: 400,
  FORBIDDEN: 403,
  RATE_LIMITED: 429,
  CONFLICT: 409,
  DEVICE_OFFLINE: 409,
  DEVICE_NOT_APPROVED: 409,
  DOOR_LOCKED_DOWN: 409,
  MAIL_NOT_CONFIGURED: 409,
  MAIL_SEND_FAILED: 502,
  MAIL_SERVER_UNREACHABLE: 502,
  MAIL_AUTH_FAILED: 502,
  MAIL_TLS_FAILED: 502,
  INTERNAL: 500,
};

export interface ErrorDetail {
  readonly field: string;
  readonly problems: readonly string[];
}

export class AccessCoreException extends CodedError<AccessCoreErrorCode> {
  constructor(
    code: AccessCoreErrorCode,
    message: string,
    readonly details?: readonly ErrorDetail[],
    options?: CodedErrorOptions,
  ) {
    super(code, message, options);
  }

  get status(): number {
    return ACCESS_CORE_ERROR_STATUS[this.code];
  }
}
