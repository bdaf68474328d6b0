import { CodedError } from '@lanbridge/errors';

/** Error codes of the connector administration and activation-code endpoints. */
export const PortalErrorCode = {
  CONNECTOR_NOT_FOUND: 'CONNECTOR_NOT_FOUND',
  ACTIVATION_CODE_INVALID: 'ACTIVATION_CODE_INVALID',
  INVALID_LOCAL_APP_URL: 'INVALID_LOCAL_APP_URL',
  INVALID_CONNECTOR_NAME: 'INVALID_CONNECTOR_NAME',
  INVALID_INPUT: 'INVALID_INPUT',
  KEY_IN_USE: 'KEY_IN_USE',
  SITE_ALREADY_CONNECTED: 'SITE_ALREADY_CONNECTED',
} as const;
export type PortalErrorCode = (typeof PortalErrorCode)[keyof typeof PortalErrorCode];

const PORTAL_STATUS: { readonly [K in PortalErrorCode]: number } = {
  CONNECTOR_NOT_FOUND: 404,
  ACTIVATION_CODE_INVALID: 400,
  INVALID_LOCAL_APP_URL: 400,
  INVALID_CONNECTOR_NAME: 400,
  INVALID_INPUT: 400,
  KEY_IN_USE: 409,
  SITE_ALREADY_CONNECTED: 409,
};

export class PortalError extends CodedError<PortalErrorCode> {
  get status(): number {
    return PORTAL_STATUS[this.code];
  }
}

/** The broker's root logger, for the portal's components. */
export const PORTAL_LOGGER = Symbol('PORTAL_LOGGER');
