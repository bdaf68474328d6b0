import * as fs from 'node:fs';
import * as path from 'node:path';
import { TUNNEL_ERROR_TABLE } from '@lanbridge/tunnel-protocol';
import { ActivationErrorCode } from '../activation/activation-error';
import { ConnectorKeyErrorCode } from '../keys/connector-key';

// docs/errors.md must list every connector code with its exit code (and every tunnel code an
// installer can see in `lastError` with its close code), so a code added here without its
// documentation fails the build.

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

/** Codes of `valueOf` with no row in a section matching `heading` whose `column` shows their number. */
function undocumented(valueOf: Readonly<Record<string, number>>, heading: RegExp, column: string): string[] {
  const section = rows.filter((r) => heading.test(r.heading));
  return Object.entries(valueOf)
    .filter(
      ([code, n]) =>
        !section.some((r) => r.cells[0] === `\`${code}\`` && hasNumber(r.cells[r.header.indexOf(column)] ?? '', n)),
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
