/**
 * One error type for everything the SDK refuses or the server refuses.
 *
 * `code` is either the server's code (the `code` of its JSON error body, e.g.
 * `INVALID_CREDENTIALS`, `DEVICE_OFFLINE`, `SESSION_INVALID`, `ORG_QR_REVOKED`) or one of
 * SdkErrorCode below, raised by the SDK itself. Apps branch on `code`, never on `message`.
 */
export const SdkErrorCode = {
  /** The site's hello or an access token did not pass the end-to-end checks (mobile-path §2). */
  E2E_SITE_NOT_VERIFIED: 'E2E_SITE_NOT_VERIFIED',
  /** The QR carries no site key thumbprint (`skt`) and the caller did not opt out. */
  QR_NOT_PINNED: 'QR_NOT_PINNED',
  /** The QR names an issuer that is not on the app's built-in list. */
  QR_UNTRUSTED_ISSUER: 'QR_UNTRUSTED_ISSUER',
  /** Not an organisation QR, or its JWS fails a check (algorithm, type, signature, times, version). */
  QR_INVALID: 'QR_INVALID',
  /** The broker's resolve answer contradicts the verified QR (organisation, API or site key). */
  QR_RESOLVE_MISMATCH: 'QR_RESOLVE_MISMATCH',
  /** No organisation chosen yet (scan a QR first). */
  NO_ORGANISATION: 'NO_ORGANISATION',
  /** No session: sign in first, or the session ended (refresh refused). */
  NOT_SIGNED_IN: 'NOT_SIGNED_IN',
  /** The request never got an answer: DNS, TCP, TLS, reset connection. */
  NETWORK: 'NETWORK',
  /** No answer within the time limit (per request, or a command's deadline). */
  TIMEOUT: 'TIMEOUT',
  /** The server answered something the SDK cannot read (not JSON, wrong shape). */
  BAD_RESPONSE: 'BAD_RESPONSE',
  /** A bad argument passed to the SDK (caught before anything is sent). */
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  /** The live stream was closed by the server for good (another user's token, protocol error). */
  STREAM_CLOSED: 'STREAM_CLOSED',
  /** The operation was cancelled by the caller (AbortSignal, close()). */
  ABORTED: 'ABORTED',
} as const;
export type SdkErrorCode = (typeof SdkErrorCode)[keyof typeof SdkErrorCode];

export interface LanbridgeErrorOptions {
  /** HTTP status when the server answered; undefined for SDK-side errors. */
  readonly status?: number;
  /** The server's request id, to quote in a bug report. */
  readonly requestId?: string;
  /** The server's `details` (e.g. validation problems per field). */
  readonly details?: unknown;
  /** Seconds from a `Retry-After` header (429, 503). */
  readonly retryAfterS?: number;
  readonly cause?: unknown;
}

export class LanbridgeError extends Error {
  override readonly name = 'LanbridgeError';
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  readonly details: unknown;
  readonly retryAfterS: number | undefined;

  constructor(
    /** The server's code, or an SdkErrorCode. */
    readonly code: string,
    message: string,
    options: LanbridgeErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status;
    this.requestId = options.requestId;
    this.details = options.details;
    this.retryAfterS = options.retryAfterS;
  }

  /** True for a refusal by the server (an HTTP answer), false for SDK-side failures. */
  get fromServer(): boolean {
    return this.status !== undefined;
  }
}

export function isLanbridgeError(err: unknown, code?: string): err is LanbridgeError {
  return err instanceof LanbridgeError && (code === undefined || err.code === code);
}
