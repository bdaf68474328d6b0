import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ArgumentsHost, Catch, type ExceptionFilter, Inject } from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';
import { OrgQrError, type OrgQrErrorCode } from '../org-qr/org-qr-jws';

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

/** A refused QR: malformed → 400, not genuine → 401, no longer valid → 410, org/connector gone → 409. */
const ORG_QR_STATUS: { readonly [K in OrgQrErrorCode]: number } = {
  ORG_QR_MALFORMED: 400,
  ORG_QR_UNSUPPORTED: 400,
  ORG_QR_UNSUPPORTED_VERSION: 400,
  ORG_QR_UNKNOWN_KEY: 401,
  ORG_QR_BAD_SIGNATURE: 401,
  ORG_QR_WRONG_ISSUER: 401,
  ORG_QR_EXPIRED: 410,
  ORG_QR_NOT_YET_VALID: 400,
  ORG_QR_REVOKED: 410,
  ORG_QR_INACTIVE: 409,
};

export class PortalError extends Error {
  constructor(
    readonly code: PortalErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PortalError';
  }
  get status(): number {
    return PORTAL_STATUS[this.code];
  }
}

/** The broker's root logger, for the portal's components. */
export const PORTAL_LOGGER = Symbol('PORTAL_LOGGER');

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** JSON `{ code, message, requestId }` for PortalError and OrgQrError, one log line each. */
@Catch(PortalError, OrgQrError)
export class PortalErrorFilter implements ExceptionFilter {
  private readonly log: Logger;

  constructor(@Inject(PORTAL_LOGGER) logger: Logger) {
    this.log = logger.child({ component: 'portal-http' });
  }

  catch(err: PortalError | OrgQrError, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<IncomingMessage>();
    const res = host.switchToHttp().getResponse<ServerResponse>();
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    const status = err instanceof PortalError ? err.status : ORG_QR_STATUS[err.code];
    this.log.info(
      { requestId, code: err.code, status, method: req.method, url: req.url?.split('?')[0] },
      'request rejected',
    );
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const json = JSON.stringify({ code: err.code, message: err.message, requestId });
    res.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(json),
    });
    res.end(json);
  }
}
