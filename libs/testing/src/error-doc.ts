/**
 * Reads docs/errors.md, the error-code table of record, so each app's spec can check that every
 * code it can send is documented with the status it really sends (and nothing undocumented or
 * invented slips in).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './processes';

export interface DocTableRow {
  /** The nearest Markdown heading above the table. */
  readonly heading: string;
  readonly header: readonly string[];
  readonly cells: readonly string[];
}

/** Every table row of a Markdown page, with its table's header and the nearest heading above. */
export function markdownTableRows(md: string): DocTableRow[] {
  const rows: DocTableRow[] = [];
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

/** True when `text` shows the number `n` on its own (not as part of a longer number). */
export function showsNumber(text: string, n: number): boolean {
  return new RegExp(`(^|[^\\d])${n}(?!\\d)`).test(text);
}

export class ErrorDoc {
  readonly rows: readonly DocTableRow[];

  constructor(file = path.join(ROOT, 'docs', 'errors.md')) {
    this.rows = markdownTableRows(fs.readFileSync(file, 'utf8'));
  }

  /** Codes of `valueOf` with no row, in a section whose heading matches, showing their number in `column`. */
  undocumented(valueOf: Readonly<Record<string, number>>, heading: RegExp, column: string): string[] {
    const section = this.rows.filter((r) => heading.test(r.heading));
    return Object.entries(valueOf)
      .filter(
        ([code, n]) =>
          !section.some((r) => r.cells[0] === `\`${code}\`` && showsNumber(r.cells[r.header.indexOf(column)] ?? '', n)),
      )
      .map(([code]) => code);
  }

  /** Codes listed in sections whose heading matches that `known` does not have. */
  invented(known: readonly string[], heading: RegExp): string[] {
    return this.rows
      .filter((r) => heading.test(r.heading) && r.cells[0]?.startsWith('`'))
      .map((r) => r.cells[0].replace(/`/g, ''))
      .filter((c) => !known.includes(c));
  }
}
