/**
 * Server side of the ZKTeco PUSH text formats (docs/push-protocol.md; the § numbers below point
 * into it). Everything is parsed by key, case-insensitively, LF or CRLF, and never
 * throws on bad input: parsers return null / skip what they cannot read.
 */
import { createHash } from 'node:crypto';

/** Range of a PostgreSQL `integer` column: a terminal's number beyond it is garbage. */
export const INT32_MIN = -2_147_483_648;
export const INT32_MAX = 2_147_483_647;

/** Case-insensitive `key=value` map (last duplicate wins). */
export class KeyValues {
  private readonly map = new Map<string, string>();

  constructor(pairs: Iterable<readonly [string, string]> = []) {
    for (const [k, v] of pairs) this.map.set(k.toLowerCase(), v);
  }

  get(key: string): string | undefined {
    return this.map.get(key.toLowerCase());
  }

  has(key: string): boolean {
    return this.map.has(key.toLowerCase());
  }

  /** Base-10 integer, or undefined when absent or not an integer. */
  int(key: string): number | undefined {
    const v = this.get(key)?.trim();
    if (v === undefined || !/^[+-]?\d{1,15}$/.test(v)) return undefined;
    return Number(v);
  }

  /** Base-10 integer within [min, max], or undefined when absent, not an integer or out of range. */
  intIn(key: string, min: number, max: number): number | undefined {
    const v = this.int(key);
    return v !== undefined && v >= min && v <= max ? v : undefined;
  }

  get size(): number {
    return this.map.size;
  }

  /** Lower-case keys → values. */
  toObject(): Record<string, string> {
    return Object.fromEntries(this.map);
  }
}

/** Splits a body into non-blank lines (LF or CRLF). */
export function splitLines(body: string): string[] {
  return body
    .split('\n')
    .map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l))
    .filter((l) => l.trim() !== '');
}

function pair(item: string): [string, string] | null {
  const eq = item.indexOf('=');
  if (eq <= 0) return null;
  const key = item.slice(0, eq).trim();
  return key ? [key, item.slice(eq + 1).trim()] : null;
}

/** Registry / options bodies: `k=v` items separated by commas (and/or lines). */
export function parseCommaText(body: string): KeyValues {
  const pairs: Array<[string, string]> = [];
  for (const line of splitLines(body))
    for (const item of line.split(',')) {
      const p = pair(item);
      if (p) pairs.push(p);
    }
  return new KeyValues(pairs);
}

/** One TAB-separated record (`rtlog`, `rtstate`, table data). Values keep inner spaces. */
export function parseTabRecord(line: string): KeyValues {
  const pairs: Array<[string, string]> = [];
  for (const item of line.split('\t')) {
    const eq = item.indexOf('=');
    if (eq <= 0) continue;
    const key = item.slice(0, eq).trim();
    if (key) pairs.push([key, item.slice(eq + 1).trim()]);
  }
  return new KeyValues(pairs);
}

/** Query string → case-insensitive map. Repeated keys: last wins. */
export function parseQuery(url: string): KeyValues {
  const q = url.indexOf('?');
  if (q < 0) return new KeyValues();
  try {
    return new KeyValues(new URLSearchParams(url.slice(q + 1)).entries());
  } catch {
    return new KeyValues();
  }
}

// ---------------------------------------------------------------------------------------------
// Time (§1): ((Y-2000)*372 + (M-1)*31 + D-1)*86400 + h*3600 + m*60 + s, in the device's wall clock
// ---------------------------------------------------------------------------------------------

/** Encodes a Date as PUSH time in the server's local wall clock (what terminals are set to). */
export function encodePushTime(d: Date): number {
  return (
    ((d.getFullYear() - 2000) * 372 + d.getMonth() * 31 + d.getDate() - 1) * 86400 +
    d.getHours() * 3600 +
    d.getMinutes() * 60 +
    d.getSeconds()
  );
}

/** `+0800` style offset of the server's zone at `d`. */
export function serverZone(d: Date): string {
  const minutes = -d.getTimezoneOffset();
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
}

/**
 * `YYYY-MM-DD hh:mm:ss` as the server's local wall clock (terminals take their time from
 * `rtdata?type=time`, which we answer in local time). Null when malformed or impossible.
 */
export function parseDeviceTime(text: string | undefined): Date | null {
  const m = /^\s*(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{1,2}):(\d{1,2})\s*$/.exec(text ?? '');
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
  const date = new Date(y, mo - 1, d, h, mi, s);
  if (
    Number.isNaN(date.getTime()) ||
    date.getFullYear() !== y ||
    date.getMonth() !== mo - 1 ||
    date.getDate() !== d ||
    h > 23 ||
    mi > 59 ||
    s > 59
  ) {
    return null;
  }
  return date;
}

/** `Cookie: token=` value (§1): hex MD5 of RegistryCode + SN + SessionID. */
export function pushToken(registryCode: string, sn: string, sessionId: string): string {
  return createHash('md5').update(`${registryCode}${sn}${sessionId}`).digest('hex');
}

/** Reads one cookie from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Commands (§3)
// ---------------------------------------------------------------------------------------------

/** `CONTROL DEVICE` operations (AA byte). */
export const ControlOp = {
  OUTPUT: 0x01,
  CANCEL_ALARM: 0x02,
  RESTART: 0x03,
  NORMAL_OPEN: 0x04,
  LOCK: 0x06,
} as const;

function hex2(n: number): string {
  return (n & 0xff).toString(16).toUpperCase().padStart(2, '0');
}

/** `CONTROL DEVICE AABBCCDD` with each byte as `%02X` (hex, not decimal). */
export function controlDevice(op: number, target: number, p1: number, p2: number): string {
  return `CONTROL DEVICE ${hex2(op)}${hex2(target)}${hex2(p1)}${hex2(p2)}`;
}

/** A `getrequest` line: `C:<CmdID>:<text>`. */
export function commandLine(cmdId: string, text: string): string {
  return `C:${cmdId}:${text}`;
}

/** Values inside a DATA record cannot contain TAB/CR/LF (they separate fields and records). */
export function dataValue(v: string | number): string {
  return String(v).replace(/[\t\r\n]/g, ' ');
}

/** `DATA UPDATE <table> k=v\tk=v…`. */
export function dataUpdate(table: string, pairs: ReadonlyArray<readonly [string, string | number]>): string {
  return `DATA UPDATE ${table} ${pairs.map(([k, v]) => `${k}=${dataValue(v)}`).join('\t')}`;
}

/** `DATA DELETE <table> k=v…` (or `*`). */
export function dataDelete(table: string, pairs: ReadonlyArray<readonly [string, string | number]> | '*'): string {
  return `DATA DELETE ${table} ${pairs === '*' ? '*' : pairs.map(([k, v]) => `${k}=${dataValue(v)}`).join('\t')}`;
}

/** Time-zone slot `(HHMM_start<<16)+HHMM_end` from `HH:MM` strings; null when malformed. */
export function encodeTimeSlot(start: string, end: string): number | null {
  const hhmm = (t: string): number | null => {
    const m = /^(\d{1,2}):(\d{2})$/.exec(t.trim());
    if (!m) return null;
    const h = Number(m[1]);
    const mi = Number(m[2]);
    return h <= 23 && mi <= 59 ? h * 100 + mi : h === 24 && mi === 0 ? 2359 : null;
  };
  const s = hhmm(start);
  const e = hhmm(end);
  return s === null || e === null ? null : s * 65536 + e;
}

// ---------------------------------------------------------------------------------------------
// Command results (§2.7)
// ---------------------------------------------------------------------------------------------

export interface DeviceCmdResult {
  readonly id: string;
  readonly returnCode: number;
  readonly cmd: string;
}

/**
 * `ID=221&Return=0&CMD=CONTROL DEVICE`, one per line. `CMD` is not URL-encoded and may contain
 * spaces (and, in theory, `&`), so everything after `CMD=` is taken verbatim.
 * Returns the parsed results and the count of unreadable lines.
 */
export function parseDeviceCmdResults(body: string): { results: DeviceCmdResult[]; badLines: string[] } {
  const results: DeviceCmdResult[] = [];
  const badLines: string[] = [];
  for (const line of splitLines(body)) {
    const cmdAt = line.search(/(^|&)CMD=/i);
    const head = cmdAt >= 0 ? line.slice(0, cmdAt) : line;
    const cmd = cmdAt >= 0 ? line.slice(line.indexOf('=', cmdAt) + 1) : '';
    const kv = new KeyValues(
      head
        .split('&')
        .map(pair)
        .filter((p): p is [string, string] => p !== null),
    );
    const id = kv.get('ID')?.trim();
    // Return codes are small signed numbers; beyond a PostgreSQL integer it is garbage.
    const ret = kv.intIn('Return', INT32_MIN, INT32_MAX);
    if (!id || ret === undefined) {
      badLines.push(line);
      continue;
    }
    results.push({ id, returnCode: ret, cmd: cmd.trim() });
  }
  return { results, badLines };
}

// ---------------------------------------------------------------------------------------------
// rtstate (§2.6)
// ---------------------------------------------------------------------------------------------

export interface DoorStateBits {
  /** 0 none, 1 closed, 2 open (3 = unknown/invalid). */
  readonly sensor: number;
  readonly relayOpen: boolean;
  readonly alarm: number;
}

/**
 * `sensor` 2 bits per door (door 1 lowest), `relay` 1 bit per door, `alarm` one byte per door
 * (door 1 first). Null when a field is missing or not hex.
 */
export function parseRtstate(kv: KeyValues, doorCount: number): DoorStateBits[] | null {
  const sensorHex = kv.get('sensor');
  const relayHex = kv.get('relay');
  const alarmHex = kv.get('alarm');
  if (sensorHex === undefined || relayHex === undefined || alarmHex === undefined) return null;
  if (!/^[0-9a-f]{1,16}$/i.test(sensorHex) || !/^[0-9a-f]{1,16}$/i.test(relayHex) || !/^[0-9a-f]*$/i.test(alarmHex)) {
    return null;
  }
  const sensor = parseInt(sensorHex, 16);
  const relay = parseInt(relayHex, 16);
  const doors: DoorStateBits[] = [];
  for (let i = 0; i < doorCount; i++) {
    doors.push({
      sensor: Math.floor(sensor / 4 ** i) % 4,
      relayOpen: Math.floor(relay / 2 ** i) % 2 === 1,
      alarm: parseInt(alarmHex.slice(2 * i, 2 * i + 2) || '0', 16),
    });
  }
  return doors;
}

/** Card number as stored: decimal without leading zeros; `[LE hex]` converted; `0`/empty → null. */
export function normalizeCardNo(text: string | undefined): string | null {
  const t = (text ?? '').trim();
  const bracket = /^\[((?:[0-9a-f]{2}){1,8})\]$/i.exec(t);
  if (bracket) {
    const bytes = bracket[1].match(/../g) ?? [];
    const value = bytes.reduceRight((acc, b) => acc * 256n + BigInt(parseInt(b, 16)), 0n);
    return value === 0n ? null : value.toString();
  }
  if (/^\d+$/.test(t)) {
    const v = t.replace(/^0+/, '');
    return v === '' ? null : v;
  }
  return t === '' ? null : t.slice(0, 128);
}
