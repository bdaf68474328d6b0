import { CodedError } from '@lanbridge/errors';

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

export class PushError extends CodedError<PushErrorCode> {
  get status(): number {
    return PUSH_ERROR_STATUS[this.code];
  }

  /** A refused session names the scheme the client must use (RFC 6750). */
  override responseHeaders(): Record<string, string> {
    return this.status === 401 ? { ...super.responseHeaders(), 'WWW-Authenticate': 'Bearer' } : super.responseHeaders();
  }
}
