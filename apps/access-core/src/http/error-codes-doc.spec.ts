import { TerminalErrorCode } from '@lanbridge/terminal-simulator';
import { FieldCipherErrorCode } from '../crypto/field-cipher';
import { StreamCloseCode } from '../realtime/stream.gateway';
import { ACCESS_CORE_ERROR_STATUS } from './access-core.exception';
import { ErrorDoc } from '@lanbridge/testing';

// docs/errors.md must list every access-core code with its HTTP status (and every stream close
// code), so a code added here without its documentation fails the build.

const doc = new ErrorDoc();
const undocumented = (valueOf: Readonly<Record<string, number>>, heading: RegExp, column: string): string[] =>
  doc.undocumented(valueOf, heading, column);
const invented = (known: readonly string[], heading: RegExp): string[] => doc.invented(known, heading);

/** Every encryption-at-rest failure reaches a client as 500 INTERNAL. */
const CRYPTO_STATUS = 500;

describe('access-core error codes are documented in docs/errors.md', () => {
  it('AccessCoreErrorCode, with its HTTP status', () => {
    expect(undocumented(ACCESS_CORE_ERROR_STATUS, /^6\.1 /, 'HTTP')).toEqual([]);
    expect(invented(Object.keys(ACCESS_CORE_ERROR_STATUS), /^6\.1 /)).toEqual([]);
  });

  it('real-time stream close codes', () => {
    expect(undocumented(StreamCloseCode, /^6\.2 /, 'close')).toEqual([]);
  });

  it('encryption-at-rest codes', () => {
    const codes = Object.values(FieldCipherErrorCode);
    const statusOf = Object.fromEntries(codes.map((c) => [c, CRYPTO_STATUS]));
    expect(undocumented(statusOf, /^6\.3 /, 'HTTP')).toEqual([]);
    expect(invented(codes, /^6\.3 /)).toEqual([]);
  });

  it('terminal simulator codes', () => {
    const codes = Object.values(TerminalErrorCode);
    const listed = doc.rows.filter((r) => /^7\.4 /.test(r.heading)).map((r) => r.cells[0]);
    expect(codes.filter((c) => !listed.includes(`\`${c}\``))).toEqual([]);
    expect(invented(codes, /^7\.4 /)).toEqual([]);
  });
});
