import type { ArgumentsHost } from '@nestjs/common';
import { createLogger } from '@lanbridge/logging';
import { TUNNEL_ERROR_TABLE, type TunnelErrorCode } from '@lanbridge/tunnel-protocol';
import { ACCOUNTS_ERROR_STATUS } from '../accounts/accounts-error';
import { BODY_ERROR_STATUS } from '../accounts/http-setup';
import { PortalError, PortalErrorCode } from '../connector-admin/portal-error';
import { tunnelFailure } from '../ingress/tunnel-error-response';
import { tokenError, type TokenErrorCode } from '../oauth/oauth-error';
import { OrgQrError, OrgQrErrorCode } from '../org-qr/org-qr-jws';
import { AllExceptionsFilter } from './all-exceptions.filter';
import { BROKER_ERROR_STATUS } from './broker-error';
import { ErrorDoc } from '@lanbridge/testing';

// docs/errors.md must list every broker code with the HTTP status the code actually sends, so a
// code added here without its documentation fails the build.

const doc = new ErrorDoc();
const undocumented = (statusOf: Readonly<Record<string, number>>, heading: RegExp): string[] =>
  doc.undocumented(statusOf, heading, 'HTTP');
const invented = (known: readonly string[], heading: RegExp): string[] => doc.invented(known, heading);

/** The status the broker's one exception filter sends for `err`. */
function filterStatus(err: unknown): number {
  let status = 0;
  const res = { headersSent: false, writeHead: (s: number) => (status = s), end: () => undefined };
  const req = { headers: {}, method: 'GET', url: '/api/v1/org-qr/resolve' };
  const host = { switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }) };
  new AllExceptionsFilter(createLogger('error-codes-doc', { level: 'silent' })).catch(
    err,
    host as unknown as ArgumentsHost,
  );
  return status;
}

// Exhaustive at type-check time: a new TokenErrorCode without an entry here does not compile.
const TOKEN_ERRORS: { readonly [K in TokenErrorCode]: true } = {
  invalid_request: true,
  invalid_client: true,
  invalid_grant: true,
  unauthorized_client: true,
  unsupported_grant_type: true,
  invalid_scope: true,
  authorization_pending: true,
  slow_down: true,
  access_denied: true,
  expired_token: true,
};

describe('broker error codes are documented in docs/errors.md', () => {
  it('BrokerErrorCode: ingress, tunnel endpoint, health and CLI sections', () => {
    expect(undocumented(BROKER_ERROR_STATUS, /^[23]\.\d* /)).toEqual([]);
    expect(invented(Object.keys(BROKER_ERROR_STATUS), /^(2\.1|3\.1|3\.2) /)).toEqual([]);
  });

  it('ingress: every tunnel code with the HTTP status the client gets', () => {
    const statusOf = Object.fromEntries(
      (Object.keys(TUNNEL_ERROR_TABLE) as TunnelErrorCode[]).map((c) => [c, tunnelFailure(c).status]),
    );
    expect(undocumented(statusOf, /^2\.2 /)).toEqual([]);
  });

  it('request body parsers', () => {
    expect(undocumented(BODY_ERROR_STATUS, /^4\.1 /)).toEqual([]);
    expect(invented(Object.keys(BODY_ERROR_STATUS), /^4\.1 /)).toEqual([]);
  });

  it('AccountsErrorCode', () => {
    expect(undocumented(ACCOUNTS_ERROR_STATUS, /^4\.2 /)).toEqual([]);
    expect(invented(Object.keys(ACCOUNTS_ERROR_STATUS), /^4\.2 /)).toEqual([]);
  });

  it('OAuth2 token endpoint errors', () => {
    const statusOf = Object.fromEntries(
      (Object.keys(TOKEN_ERRORS) as TokenErrorCode[]).map((c) => [c, tokenError(c, 'x').status]),
    );
    expect(undocumented({ ...statusOf, server_error: 500 }, /^4\.3 /)).toEqual([]);
  });

  it('PortalErrorCode', () => {
    const codes = Object.values(PortalErrorCode);
    const statusOf = Object.fromEntries(codes.map((c) => [c, filterStatus(new PortalError(c, 'x'))]));
    expect(undocumented(statusOf, /^4\.4 /)).toEqual([]);
    expect(invented(codes, /^4\.4 /)).toEqual([]);
  });

  it('OrgQrErrorCode', () => {
    const codes = Object.values(OrgQrErrorCode);
    const statusOf = Object.fromEntries(codes.map((c) => [c, filterStatus(new OrgQrError(c, 'x'))]));
    expect(Object.values(statusOf).every((s) => s >= 400)).toBe(true);
    expect(undocumented(statusOf, /^4\.5 /)).toEqual([]);
    expect(invented(codes, /^4\.5 /)).toEqual([]);
  });
});
