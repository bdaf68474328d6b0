import * as path from 'node:path';
import { ErrorDoc } from '@lanbridge/testing';
import { TUNNEL_ERROR_TABLE } from './errors';

// docs/errors.md (and SPEC.md §11) must list every tunnel code with its close code and RESET
// number, so a code added here without its documentation fails the build.

const docs = new ErrorDoc();
const spec = new ErrorDoc(path.resolve(__dirname, '../SPEC.md'));
const codes = Object.keys(TUNNEL_ERROR_TABLE);
const closeOf = Object.fromEntries(Object.entries(TUNNEL_ERROR_TABLE).map(([c, info]) => [c, info.wsClose]));
const resetOf = Object.fromEntries(Object.entries(TUNNEL_ERROR_TABLE).map(([c, info]) => [c, info.reset]));

/** Codes without a row in the section showing both their close code and their RESET number. */
function undocumented(doc: ErrorDoc, heading: RegExp): string[] {
  return [...new Set([...doc.undocumented(closeOf, heading, 'close'), ...doc.undocumented(resetOf, heading, 'RESET')])];
}

describe('tunnel error codes are documented', () => {
  it('docs/errors.md §1 lists every code with its close code and RESET number', () => {
    expect(undocumented(docs, /^1\. Tunnel protocol/)).toEqual([]);
  });

  it('SPEC.md §11 lists every code with its close code and RESET number', () => {
    expect(undocumented(spec, /^11\. Error codes/)).toEqual([]);
  });

  it('docs/errors.md §1 lists no code the library does not have', () => {
    expect(docs.invented(codes, /^1\. Tunnel protocol/)).toEqual([]);
  });

  it('every table row of docs/errors.md has as many cells as its header', () => {
    expect(docs.rows.filter((r) => r.cells.length !== r.header.length).map((r) => r.cells[0])).toEqual([]);
  });
});
