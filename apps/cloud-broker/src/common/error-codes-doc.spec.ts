import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ArgumentsHost } from '@nestjs/common';
import { createLogger } from '@lanbridge/logging';
import { TUNNEL_ERROR_TABLE, type TunnelErrorCode } from '@lanbridge/tunnel-protocol';
import { ACCOUNTS_ERROR_STATUS } from '../accounts/accounts-error';
import { PortalError, PortalErrorCode, PortalErrorFilter } from '../connector-admin/portal-error';
import { tunnelFailure } from '../ingress/tunnel-error-response';
import { tokenError, type TokenErrorCode } from '../oauth/oauth-error';
import { OrgQrError, OrgQrErrorCode } from '../org-qr/org-qr-jws';
import { BROKER_ERROR_STATUS } from './broker-error';

// docs/errors.md must list every broker code with the HTTP status the code actually sends, so a
// code added here without its documentation fails the build.

interface Row {
  readonly heading: string;
  readonly header: readonly string[];
  readonly cells: readonly string[];
}

/** Every table row of a Markdown page, with its table's header and the nearest heading above. */
function tableRows(md: string): Row[] {
  const rows: Row[] = [];
  let heading = '';
  let header: string[] | undefined;
  for (const line of md.split('\n')) {
    if (line.startsWith('#')) {
      heading = line.replace(/^#+\s*/, '');
      header = undefined;
    } else if (!line.startsWith('|')) {
      header = undefined;
    } else {
      const cells = line
        .replace(/^\||\|$/g, '')
        .split('|')
        .map((c) => c.trim());
      if (!header) header = cells;
      else if (!cells.every((c) => /^:?-+:?$/.test(c))) rows.push({ heading, header, cells });
    }
  }
  return rows;
}

function hasNumber(text: string, n: number): boolean {
  return new RegExp(`(^|[^\\d])${n}(?!\\d)`).test(text);
}

const rows = tableRows(fs.readFileSync(path.resolve(__dirname, '../../../../docs/errors.md'), 'utf8'));

/** Codes of `statusOf` with no row in a section matching `heading` that shows their HTTP status. */
function undocumented(statusOf: Readonly<Record<string, number>>, heading: RegExp): string[] {
  const section = rows.filter((r) => heading.test(r.heading));
  return Object.entries(statusOf)
    .filter(
      ([code, status]) =>
        !section.some(
          (r) => r.cells[0] === `\`${code}\`` && hasNumber(r.cells[r.header.indexOf('HTTP')] ?? '', status),
        ),
    )
    .map(([code]) => code);
}

/** Codes listed in matching sections that `known` does not have. */
function invented(known: readonly string[], heading: RegExp): string[] {
  return rows
    .filter((r) => heading.test(r.heading) && r.cells[0]?.startsWith('`'))
    .map((r) => r.cells[0].replace(/`/g, ''))
    .filter((c) => !known.includes(c));
}

/** The status PortalErrorFilter sends for `err` (the filter holds the only OrgQrError → status map). */
function filterStatus(err: PortalError | OrgQrError): number {
  let status = 0;
  const res = { headersSent: false, writeHead: (s: number) => (status = s), end: () => undefined };
  const req = { headers: {}, method: 'GET', url: '/api/v1/org-qr/resolve' };
  const host = { switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }) };
  new PortalErrorFilter(createLogger('error-codes-doc', { level: 'silent' })).catch(
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
