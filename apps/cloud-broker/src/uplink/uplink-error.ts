import { CodedError } from '@lanbridge/errors';

/**
 * Answers of the uplink (connector-opened streams, docs/mobile-path.md §6), sent on that stream
 * as an HTTP-like status with JSON `{ code, message }`; the tunnel session is never affected.
 * Bytes that are not even text end the stream with RESET TUNNEL_ERR_PROTOCOL instead.
 */
export const UplinkErrorCode = {
  UPLINK_NOT_FOUND: 'UPLINK_NOT_FOUND',
  UPLINK_METHOD_NOT_ALLOWED: 'UPLINK_METHOD_NOT_ALLOWED',
  UPLINK_UNSUPPORTED_MEDIA_TYPE: 'UPLINK_UNSUPPORTED_MEDIA_TYPE',
  UPLINK_PAYLOAD_TOO_LARGE: 'UPLINK_PAYLOAD_TOO_LARGE',
  UPLINK_INVALID_JSON: 'UPLINK_INVALID_JSON',
  UPLINK_VALIDATION_FAILED: 'UPLINK_VALIDATION_FAILED',
  CLOUD_DATA_DISABLED: 'CLOUD_DATA_DISABLED',
  UPLINK_UNAVAILABLE: 'UPLINK_UNAVAILABLE',
} as const;
export type UplinkErrorCode = (typeof UplinkErrorCode)[keyof typeof UplinkErrorCode];

export const UPLINK_ERROR_STATUS: { readonly [K in UplinkErrorCode]: number } = {
  UPLINK_NOT_FOUND: 404,
  UPLINK_METHOD_NOT_ALLOWED: 405,
  UPLINK_UNSUPPORTED_MEDIA_TYPE: 415,
  UPLINK_PAYLOAD_TOO_LARGE: 413,
  UPLINK_INVALID_JSON: 400,
  UPLINK_VALIDATION_FAILED: 400,
  CLOUD_DATA_DISABLED: 409,
  UPLINK_UNAVAILABLE: 503,
};

export class UplinkError extends CodedError<UplinkErrorCode> {
  get status(): number {
    return UPLINK_ERROR_STATUS[this.code];
  }
}
