/** Error codes of the broker's HTTP surface; each maps to exactly one HTTP status below. */
export const BrokerErrorCode = {
  ORG_NOT_FOUND: 'ORG_NOT_FOUND',
  CONNECTOR_OFFLINE: 'CONNECTOR_OFFLINE',
  BROKER_DRAINING: 'BROKER_DRAINING',
  DATABASE_UNAVAILABLE: 'DATABASE_UNAVAILABLE',
  INGRESS_TIMEOUT: 'INGRESS_TIMEOUT',
  SESSION_REQUIRED: 'SESSION_REQUIRED',
  SESSION_INVALID: 'SESSION_INVALID',
  SITE_KEY_UNAVAILABLE: 'SITE_KEY_UNAVAILABLE',
  RATE_LIMITED: 'RATE_LIMITED',
  INVALID_ORG_SLUG: 'INVALID_ORG_SLUG',
  INVALID_PUBLIC_KEY: 'INVALID_PUBLIC_KEY',
  INVALID_INPUT: 'INVALID_INPUT',
  KEY_IN_USE: 'KEY_IN_USE',
  NOT_FOUND: 'NOT_FOUND',
  UNSUPPORTED_SUBPROTOCOL: 'UNSUPPORTED_SUBPROTOCOL',
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  INTERNAL: 'INTERNAL',
} as const;
export type BrokerErrorCode = (typeof BrokerErrorCode)[keyof typeof BrokerErrorCode];

export const BROKER_ERROR_STATUS: { readonly [K in BrokerErrorCode]: number } = {
  ORG_NOT_FOUND: 404,
  CONNECTOR_OFFLINE: 503,
  BROKER_DRAINING: 503,
  DATABASE_UNAVAILABLE: 503,
  INGRESS_TIMEOUT: 504,
  SESSION_REQUIRED: 401,
  SESSION_INVALID: 401,
  SITE_KEY_UNAVAILABLE: 503,
  RATE_LIMITED: 429,
  INVALID_ORG_SLUG: 400,
  INVALID_PUBLIC_KEY: 400,
  INVALID_INPUT: 400,
  KEY_IN_USE: 409,
  NOT_FOUND: 404,
  UNSUPPORTED_SUBPROTOCOL: 426,
  VALIDATION_FAILED: 400,
  INTERNAL: 500,
};

export class BrokerError extends Error {
  constructor(
    readonly code: BrokerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BrokerError';
  }
  get status(): number {
    return BROKER_ERROR_STATUS[this.code];
  }
}
