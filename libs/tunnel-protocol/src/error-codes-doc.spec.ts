import * as fs from 'node:fs';
import * as path from 'node:path';
import { TUNNEL_ERROR_TABLE, type TunnelErrorCode } from './errors';

// docs/errors.md (and SPEC.md §11) must list every tunnel code with its close code and RESET
// number, so a code added here without its documentation fails the build.

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

function cell(row: Row, column: string): string {
  return row.cells[row.header.indexOf(column)] ?? '';
}

function hasNumber(text: string, n: number): boolean {
  return new RegExp(`(^|[^\\d])${n}(?!\\d)`).test(text);
}

const repoRoot = path.resolve(__dirname, '../../..');
const docRows = tableRows(fs.readFileSync(path.join(repoRoot, 'docs/errors.md'), 'utf8'));
const specRows = tableRows(fs.readFileSync(path.resolve(__dirname, '../SPEC.md'), 'utf8'));
const codes = Object.keys(TUNNEL_ERROR_TABLE) as TunnelErrorCode[];

function undocumented(rows: readonly Row[], headingPrefix: string): string[] {
  const section = rows.filter((r) => r.heading.startsWith(headingPrefix));
  return codes.filter((code) => {
    const { wsClose, reset } = TUNNEL_ERROR_TABLE[code];
    return !section.some(
      (r) => r.cells[0] === `\`${code}\`` && hasNumber(cell(r, 'close'), wsClose) && cell(r, 'RESET') === String(reset),
    );
  });
}

describe('tunnel error codes are documented', () => {
  it('docs/errors.md §1 lists every code with its close code and RESET number', () => {
    expect(undocumented(docRows, '1. Tunnel protocol')).toEqual([]);
  });

  it('SPEC.md §11 lists every code with its close code and RESET number', () => {
    expect(undocumented(specRows, '11. Error codes')).toEqual([]);
  });

  it('docs/errors.md §1 lists no code the library does not have', () => {
    const listed = docRows.filter((r) => r.heading.startsWith('1. Tunnel protocol')).map((r) => r.cells[0]);
    expect(listed.filter((c) => !codes.some((code) => c === `\`${code}\``))).toEqual([]);
  });

  it('every table row of docs/errors.md has as many cells as its header', () => {
    expect(docRows.filter((r) => r.cells.length !== r.header.length).map((r) => r.cells[0])).toEqual([]);
  });
});
