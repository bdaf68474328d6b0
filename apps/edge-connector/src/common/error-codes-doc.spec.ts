import { TUNNEL_ERROR_TABLE } from '@lanbridge/tunnel-protocol';
import { ActivationErrorCode } from '../activation/activation-error';
import { ConnectorKeyErrorCode } from '../keys/connector-key';
import { ErrorDoc } from '@lanbridge/testing';

// docs/errors.md must list every connector code with its exit code (and every tunnel code an
// installer can see in `lastError` with its close code), so a code added here without its
// documentation fails the build.

const doc = new ErrorDoc();
const undocumented = (valueOf: Readonly<Record<string, number>>, heading: RegExp, column: string): string[] =>
  doc.undocumented(valueOf, heading, column);
const invented = (known: readonly string[], heading: RegExp): string[] => doc.invented(known, heading);

/** main.ts exits 1 for every ActivationError, ConnectorKeyError and ConfigError. */
const EXIT_ERROR = 1;

function exitCodes(codes: readonly string[]): Record<string, number> {
  return Object.fromEntries(codes.map((c) => [c, EXIT_ERROR]));
}

describe('edge connector error codes are documented in docs/errors.md', () => {
  it('activation errors, with their exit code', () => {
    const codes = Object.values(ActivationErrorCode);
    expect(undocumented(exitCodes(codes), /^5\.2 /, 'exit')).toEqual([]);
    expect(invented(codes, /^5\.2 /)).toEqual([]);
  });

  it('key file errors, with their exit code', () => {
    const codes = Object.values(ConnectorKeyErrorCode);
    expect(undocumented(exitCodes(codes), /^5\.3 /, 'exit')).toEqual([]);
    expect(invented(codes, /^5\.3 /)).toEqual([]);
  });

  it('every tunnel code `lastError` can hold, with its close code', () => {
    const closeOf = Object.fromEntries(Object.entries(TUNNEL_ERROR_TABLE).map(([c, info]) => [c, info.wsClose]));
    expect(undocumented(closeOf, /^5\.4 /, 'close')).toEqual([]);
    expect(invented(Object.keys(TUNNEL_ERROR_TABLE), /^5\.4 /)).toEqual([]);
  });
});
