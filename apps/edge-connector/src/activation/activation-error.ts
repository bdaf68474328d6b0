/** Why an activation step failed. Stable strings: the page maps them to messages, the CLI prints them. */
export const ActivationErrorCode = {
  /** The cloud could not be reached or answered something unexpected. */
  UNREACHABLE: 'ACTIVATION_UNREACHABLE',
  /** The installer denied the request (RFC 8628 access_denied). */
  DENIED: 'ACTIVATION_DENIED',
  /** The device code expired before approval (RFC 8628 expired_token). */
  EXPIRED: 'ACTIVATION_EXPIRED',
  /** The activation code is unknown, used or expired. */
  CODE_INVALID: 'ACTIVATION_CODE_INVALID',
  /** The cloud refused the request (bad key, unknown area, ...); the message says why. */
  REFUSED: 'ACTIVATION_REFUSED',
  /** Bad local input: area, server address. */
  INVALID_INPUT: 'ACTIVATION_INVALID_INPUT',
  /** An activation is already running or the connector is already activated. */
  BUSY: 'ACTIVATION_BUSY',
  /** The installer cancelled. */
  CANCELLED: 'ACTIVATION_CANCELLED',
} as const;
export type ActivationErrorCode = (typeof ActivationErrorCode)[keyof typeof ActivationErrorCode];

export class ActivationError extends Error {
  constructor(
    readonly code: ActivationErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ActivationError';
  }
}
