/** Terminal helpers of the CLI: aligned tables, a spinner on stderr, a password prompt without echo. */
import type { Readable, Writable } from 'node:stream';

export interface Column<T> {
  readonly title: string;
  readonly value: (row: T) => unknown;
  /** Right-align (numbers). */
  readonly right?: boolean;
  /** Cut longer cells (default 48 characters). */
  readonly max?: number;
}

function text(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v) ?? '-';
}

function cell(v: unknown, max: number): string {
  const s = text(v);
  const flat = s.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Rows as an aligned plain-text table with a header line. */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => cell(c.value(r), c.max ?? 48)));
  const widths = columns.map((c, i) => Math.max(c.title.length, ...cells.map((r) => r[i].length)));
  const line = (vals: readonly string[]): string =>
    vals
      .map((v, i) => (columns[i].right ? v.padStart(widths[i]) : v.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.title)), ...cells.map(line)].join('\n');
}

/** `label: value` lines, labels aligned. */
export function keyValues(pairs: readonly (readonly [string, unknown])[]): string {
  const w = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${`${k}:`.padEnd(w + 1)} ${cell(v, 200)}`).join('\n');
}

/** Local time `YYYY-MM-DD HH:MM:SS`, or '-' . */
export function localTime(iso: string | null | undefined): string {
  if (!iso) return '-';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** A progress line on a TTY stream while `work` runs (shown only when it takes over 150 ms). */
export async function withSpinner<T>(out: Writable & { isTTY?: boolean }, label: string, work: Promise<T>): Promise<T> {
  if (!out.isTTY) return work;
  let frame = 0;
  let shown = false;
  let timer: ReturnType<typeof setInterval> | undefined;
  const draw = (): void => {
    shown = true;
    out.write(`\r\x1b[K${FRAMES[frame++ % FRAMES.length]} ${label}`);
  };
  const start = setTimeout(() => {
    draw();
    timer = setInterval(draw, 80);
  }, 150);
  try {
    return await work;
  } finally {
    clearTimeout(start);
    clearInterval(timer);
    if (shown) out.write('\r\x1b[K');
  }
}

export class PromptCancelled extends Error {
  override readonly name = 'PromptCancelled';
}

/** Reads a line from a TTY without echoing it (raw mode). */
export function promptHidden(
  question: string,
  input: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown },
  output: Writable,
): Promise<string> {
  if (!input.isTTY || !input.setRawMode)
    return Promise.reject(new PromptCancelled('no terminal to ask for a password'));
  const setRaw = input.setRawMode.bind(input);
  output.write(question);
  setRaw(true);
  input.resume();
  let value = '';
  return new Promise((resolve, reject) => {
    const finish = (err?: Error): void => {
      input.off('data', onData);
      setRaw(false);
      input.pause();
      output.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer | string): void => {
      for (const ch of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish();
        if (ch === '\u0003') return finish(new PromptCancelled('cancelled'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    input.on('data', onData);
  });
}

/** Everything on a non-TTY stdin, minus one trailing newline (for --password-stdin). */
export async function readAll(input: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of input) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}
