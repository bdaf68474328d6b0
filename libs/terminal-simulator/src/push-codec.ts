/**
 * Pure encoders and parsers for the ZKTeco PUSH (iclock) protocol, terminal side.
 *
 * The protocol: docs/push-protocol.md (§ numbers below point into it).
 * Rules that hold everywhere in this file:
 * - Keys are matched case-insensitively; the original spelling is kept for round trips.
 * - Line breaks may be LF or CRLF; a stray trailing CR is always dropped.
 * - Nothing here throws on bad wire input: parsers return a `malformed` / `null` result that
 *   the caller turns into a protocol return code, because a terminal must never crash on a
 *   server's typo.
 */
import { createHash } from 'node:crypto';

// ---------------------------------------------------------------------------------------------
// Time (§1)
// ---------------------------------------------------------------------------------------------

/** A wall-clock time on the terminal (no zone: PUSH times are the device's local time). */
export interface PushTimeParts {
  readonly year: number;
  /** 1–12. */
  readonly month: number;
  /** 1–31. */
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

/**
 * `((Y-2000)*372 + (M-1)*31 + D-1)*86400 + h*3600 + m*60 + s` — every month counts 31 days, so
 * the value is not a count of real seconds; never subtract two of them to get a duration.
 */
export function encodePushTime(t: PushTimeParts): number {
  return ((t.year - 2000) * 372 + (t.month - 1) * 31 + t.day - 1) * 86400 + t.hour * 3600 + t.minute * 60 + t.second;
}

/** Inverse of {@link encodePushTime}. Negative or non-integer input gives `null`. */
export function decodePushTime(value: number): PushTimeParts | null {
  if (!Number.isSafeInteger(value) || value < 0) return null;
  const second = value % 60;
  const minute = Math.floor(value / 60) % 60;
  const hour = Math.floor(value / 3600) % 24;
  const days = Math.floor(value / 86400);
  const day = (days % 31) + 1;
  const month = (Math.floor(days / 31) % 12) + 1;
  const year = Math.floor(days / 372) + 2000;
  return { year, month, day, hour, minute, second };
}

/** Wall-clock parts of `date` read in UTC (callers shift the Date by the zone offset first). */
export function partsFromUtcDate(date: Date): PushTimeParts {
  return {
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    hour: date.getUTCHours(),
    minute: date.getUTCMinutes(),
    second: date.getUTCSeconds(),
  };
}

/** Wall-clock parts as a UTC Date (the inverse of {@link partsFromUtcDate}). */
export function utcDateFromParts(t: PushTimeParts): Date {
  return new Date(Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second));
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** `YYYY-MM-DD hh:mm:ss`, the form used in `rtlog` and `ATTLOG` lines. */
export function formatPushDateTime(t: PushTimeParts): string {
  return `${t.year}-${pad2(t.month)}-${pad2(t.day)} ${pad2(t.hour)}:${pad2(t.minute)}:${pad2(t.second)}`;
}

/** Parses `YYYY-MM-DD hh:mm:ss` (also `T` as separator); `null` when malformed. */
export function parsePushDateTime(text: string): PushTimeParts | null {
  const m = /^\s*(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{1,2}):(\d{1,2})\s*$/.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return null;
  return { year, month, day, hour, minute, second };
}

/**
 * `ServerTZ=+0800` / `-0530` / `TimeZone=8` (hours) / `TimeZone=330` (minutes when |v| > 60,
 * §4) → offset in minutes east of UTC; `null` when unreadable.
 */
export function parseZoneOffset(text: string): number | null {
  const t = text.trim();
  const hhmm = /^([+-])(\d{2}):?(\d{2})$/.exec(t);
  if (hhmm) {
    const sign = hhmm[1] === '-' ? -1 : 1;
    return sign * (Number(hhmm[2]) * 60 + Number(hhmm[3]));
  }
  if (/^[+-]?\d+$/.test(t)) {
    const v = Number(t);
    return Math.abs(v) > 60 ? v : v * 60;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// key=value records
// ---------------------------------------------------------------------------------------------

/** An ordered set of `key=value` pairs looked up case-insensitively (last duplicate wins). */
export class KeyValueRecord {
  private readonly byLower = new Map<string, { key: string; value: string }>();

  constructor(entries: Iterable<readonly [string, string]> = []) {
    for (const [key, value] of entries) this.byLower.set(key.toLowerCase(), { key, value });
  }

  get size(): number {
    return this.byLower.size;
  }

  has(key: string): boolean {
    return this.byLower.has(key.toLowerCase());
  }

  get(key: string): string | undefined {
    return this.byLower.get(key.toLowerCase())?.value;
  }

  /** Base-10 integer value; `undefined` when absent, empty or not an integer. */
  getInt(key: string): number | undefined {
    const v = this.get(key)?.trim();
    if (v === undefined || !/^[+-]?\d+$/.test(v)) return undefined;
    return Number(v);
  }

  /** Entries with their original key spelling, in first-seen order. */
  entries(): Array<[string, string]> {
    return [...this.byLower.values()].map(({ key, value }) => [key, value]);
  }

  /** Plain object keyed by lower-case keys (handy for table rows). */
  toLowerObject(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, { value }] of this.byLower) out[k] = value;
    return out;
  }
}

function splitPair(item: string): [string, string] | null {
  const eq = item.indexOf('=');
  if (eq <= 0) return null;
  const key = item.slice(0, eq).trim();
  if (!key) return null;
  return [key, item.slice(eq + 1).trim()];
}

/** Splits text into lines on LF or CRLF, dropping a trailing CR and blank lines. */
export function splitLines(body: string): string[] {
  return body
    .split('\n')
    .map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l))
    .filter((l) => l.trim() !== '');
}

/**
 * Registry, push-config, options and time replies (§2): `key=value` items, one a line *or*
 * comma-separated on one line (servers do both). Items without `=` (e.g. the attendance
 * `GET OPTION FROM: <SN>` header) are skipped.
 */
export function parseKeyValueText(body: string): KeyValueRecord {
  const pairs: Array<[string, string]> = [];
  for (const line of splitLines(body)) {
    for (const item of line.split(',')) {
      const p = splitPair(item);
      if (p) pairs.push(p);
    }
  }
  return new KeyValueRecord(pairs);
}

/** One TAB-separated record (`rtlog`, `rtstate`, table data, command payloads). */
export function parseTabRecord(line: string): KeyValueRecord {
  const clean = line.endsWith('\r') ? line.slice(0, -1) : line;
  const pairs: Array<[string, string]> = [];
  for (const item of clean.split('\t')) {
    const eq = item.indexOf('=');
    if (eq <= 0) continue;
    // Values are kept verbatim (a name may carry spaces); only the key is trimmed.
    pairs.push([item.slice(0, eq).trim(), item.slice(eq + 1)]);
  }
  return new KeyValueRecord(pairs);
}

/** Formats pairs as TAB-separated `key=value`, in the given order. */
export function formatTabRecord(pairs: ReadonlyArray<readonly [string, string | number]>): string {
  return pairs.map(([k, v]) => `${k}=${v}`).join('\t');
}

/** Formats pairs as comma-separated `key=value` (registry / options bodies). */
export function formatCommaRecord(pairs: ReadonlyArray<readonly [string, string | number]>): string {
  return pairs.map(([k, v]) => `${k}=${v}`).join(',');
}

// ---------------------------------------------------------------------------------------------
// Server → terminal commands (§3)
// ---------------------------------------------------------------------------------------------

/** `CONTROL DEVICE AABBCCDD[EE]` operations (AA). */
export const ControlOperation = {
  /** Output: open door (CC=01 lock relay) or aux output (CC=02) for DD seconds; 00 off, FF normally open. */
  OUTPUT: 0x01,
  /** Cancel alarm of door BB (00 = all). */
  CANCEL_ALARM: 0x02,
  /** Restart the device (BB 00 = this device). */
  RESTART: 0x03,
  /** Normal-open (passage mode) for today: CC 01 enable, 00 disable. */
  NORMAL_OPEN: 0x04,
  /** Remote lock (CC 01) / unlock (CC 00). */
  LOCK: 0x06,
  /** Emergency: BB 01 dual-open, 02 dual-close (the trailing bytes are a guess, docs/push-protocol.md §10.5). */
  EMERGENCY: 0x07,
} as const;

/** A decoded `CONTROL DEVICE` payload. Bytes are hex on the wire (`%02X`), never decimal. */
export interface ControlDeviceArgs {
  /** AA: the operation, see {@link ControlOperation}. */
  readonly operation: number;
  /** BB: door / aux / slave number; 0 = all. */
  readonly target: number;
  /** CC: operation-specific (relay kind, enable flag, lock flag). */
  readonly param1: number;
  /** DD: operation-specific (seconds for output; 0xFF = normally open). */
  readonly param2: number;
  /** EE: optional operator field. */
  readonly operator?: number;
  /** The payload as received, whitespace removed. */
  readonly hex: string;
}

/** Every command the simulator understands, plus `unknown` and `malformed`. */
export type PushCommand =
  | { readonly kind: 'control-device'; readonly args: ControlDeviceArgs }
  | {
      readonly kind: 'data-update';
      readonly table: string;
      /** One record per line; a command may carry continuation lines (see parseCommandReply). */
      readonly records: readonly KeyValueRecord[];
    }
  | {
      readonly kind: 'data-delete';
      readonly table: string;
      /** `'*'` deletes the whole table; otherwise rows matching every key of each condition. */
      readonly conditions: readonly (KeyValueRecord | '*')[];
    }
  | { readonly kind: 'data-count'; readonly table: string }
  | {
      readonly kind: 'data-query';
      readonly table: string;
      /** `fielddesc`, `*` when absent. */
      readonly fields: string;
      /** `filter` as sent (`*`, `NewRecord`, `Pin=1`, or a TAB record in the attendance form). */
      readonly filter: string;
    }
  | { readonly kind: 'set-options'; readonly options: KeyValueRecord }
  | { readonly kind: 'get-options'; readonly names: readonly string[] }
  /** Attendance-firmware door commands (§4). */
  | { readonly kind: 'ac-unlock' }
  | { readonly kind: 'ac-unalarm' }
  /** Attendance `REBOOT`. */
  | { readonly kind: 'reboot' }
  /** Attendance `CHECK`, `INFO`, `LOG`: acknowledged, no effect in the simulator. */
  | { readonly kind: 'noop'; readonly name: string }
  /** Attendance `CLEAR LOG`: drops the stored transactions. */
  | { readonly kind: 'clear-log' }
  | { readonly kind: 'unknown'; readonly name: string }
  | { readonly kind: 'malformed'; readonly name: string; readonly reason: string };

/** One `C:<id>:<text>` line. */
export interface CommandLine {
  /** Command id, a string (attendance servers send ids like `info8487`). */
  readonly id: string;
  /** Everything after `C:<id>:`, continuation lines joined with LF. */
  readonly text: string;
  readonly command: PushCommand;
}

export interface CommandReply {
  readonly commands: readonly CommandLine[];
  /** Lines that were neither `OK`, a `C:` command, nor a continuation of a DATA command. */
  readonly ignoredLines: readonly string[];
}

/**
 * Parses a `getrequest` reply: `OK` (idle), or one command per line (`C:<id>:<text>`), LF or
 * CRLF. A line that does not start with `C:` right after a `DATA UPDATE`/`DATA DELETE` is taken
 * as one more record of that command (some servers batch records that way; a guess, harmless
 * otherwise). The optional `<table> ` prefix on such a line is dropped.
 */
export function parseCommandReply(body: string): CommandReply {
  const raw: Array<{ id: string; lines: string[] }> = [];
  const ignoredLines: string[] = [];
  for (const line of splitLines(body)) {
    const m = /^C:([^:]*):(.*)$/is.exec(line.trimStart());
    if (m) {
      raw.push({ id: m[1].trim(), lines: [m[2]] });
      continue;
    }
    const last = raw[raw.length - 1];
    if (last && /^\s*DATA\s+(UPDATE|DELETE)\s/i.test(last.lines[0])) {
      last.lines.push(line);
      continue;
    }
    if (line.trim().toUpperCase() !== 'OK') ignoredLines.push(line);
  }
  return {
    commands: raw.map(({ id, lines }) => ({ id, text: lines.join('\n'), command: parseCommandText(lines.join('\n')) })),
    ignoredLines,
  };
}

/** Decodes `AABBCCDD[EE]` (hex). Whitespace between byte pairs is tolerated. */
export function parseControlDeviceArgs(text: string): ControlDeviceArgs | null {
  const hex = text.replace(/\s+/g, '');
  if (!/^(?:[0-9a-f]{2}){4,5}$/i.test(hex)) return null;
  const bytes = hex.match(/../g)!.map((b) => parseInt(b, 16));
  const [operation, target, param1, param2, operator] = bytes as [number, number, number, number, number?];
  return operator === undefined
    ? { operation, target, param1, param2, hex: hex.toUpperCase() }
    : { operation, target, param1, param2, operator, hex: hex.toUpperCase() };
}

/** Formats a `CONTROL DEVICE` payload (`%02X` per byte). */
export function formatControlDeviceArgs(a: Omit<ControlDeviceArgs, 'hex'>): string {
  const bytes = [a.operation, a.target, a.param1, a.param2];
  if (a.operator !== undefined) bytes.push(a.operator);
  return bytes.map((b) => (b & 0xff).toString(16).toUpperCase().padStart(2, '0')).join('');
}

/** Splits `<table><space|tab><rest>`; table names are returned in lower case. */
function splitTable(text: string): { table: string; rest: string } {
  const m = /^\s*([^\s]+)[ \t]?([\s\S]*)$/.exec(text);
  if (!m) return { table: '', rest: '' };
  return { table: m[1].toLowerCase(), rest: m[2] };
}

function dataRecords(table: string, rest: string): string[] {
  // First record follows the table name; continuation lines may repeat `<table> `.
  const [first = '', ...more] = rest.split('\n');
  const prefix = new RegExp(`^\\s*${table.replace(/[^a-z0-9_]/gi, '')}[ \\t]+`, 'i');
  return [first, ...more.map((l) => l.replace(prefix, ''))].filter((l) => l.trim() !== '');
}

/** Parses the text of one command (after `C:<id>:`). */
export function parseCommandText(text: string): PushCommand {
  const t = text.replace(/\r/g, '');
  let m: RegExpExecArray | null;
  if ((m = /^\s*CONTROL\s+DEVICE\b\s*([\s\S]*)$/i.exec(t))) {
    const args = parseControlDeviceArgs(m[1]);
    return args
      ? { kind: 'control-device', args }
      : { kind: 'malformed', name: 'CONTROL DEVICE', reason: `bad CONTROL DEVICE payload "${m[1].trim()}"` };
  }
  if ((m = /^\s*DATA\s+(UPDATE|DELETE|COUNT|QUERY)\b[ \t]*([\s\S]*)$/i.exec(t))) {
    const verb = m[1].toUpperCase();
    const { table, rest } = splitTable(m[2]);
    if (verb === 'QUERY' && /tablename\s*=/i.test(m[2])) {
      const kv = parseKeyValueText(m[2]);
      const qt = (kv.get('tablename') ?? '').toLowerCase();
      if (!qt) return { kind: 'malformed', name: 'DATA', reason: 'DATA QUERY without tablename' };
      return { kind: 'data-query', table: qt, fields: kv.get('fielddesc') ?? '*', filter: kv.get('filter') ?? '*' };
    }
    if (!table) return { kind: 'malformed', name: 'DATA', reason: `DATA ${verb} without a table name` };
    switch (verb) {
      case 'UPDATE': {
        const records = dataRecords(table, rest).map(parseTabRecord);
        if (records.length === 0 || records.some((r) => r.size === 0)) {
          return { kind: 'malformed', name: 'DATA', reason: `DATA UPDATE ${table} without key=value fields` };
        }
        return { kind: 'data-update', table, records };
      }
      case 'DELETE': {
        const conditions = dataRecords(table, rest).map((l) => (l.trim() === '*' ? '*' : parseTabRecord(l)));
        if (conditions.length === 0 || conditions.some((c) => c !== '*' && c.size === 0)) {
          return { kind: 'malformed', name: 'DATA', reason: `DATA DELETE ${table} without a condition` };
        }
        return { kind: 'data-delete', table, conditions };
      }
      case 'COUNT':
        return { kind: 'data-count', table };
      default:
        // Attendance form: `DATA QUERY ATTLOG StartTime=..\tEndTime=..`.
        return { kind: 'data-query', table, fields: '*', filter: rest.trim() || '*' };
    }
  }
  if ((m = /^\s*SET\s+OPTIONS?\b[ \t]*([\s\S]*)$/i.exec(t))) {
    // Options arrive comma-separated, and some servers use TABs: accept both.
    const options = parseKeyValueText(m[1].replace(/\t/g, ','));
    return options.size > 0
      ? { kind: 'set-options', options }
      : { kind: 'malformed', name: 'SET OPTIONS', reason: 'SET OPTIONS without key=value' };
  }
  if ((m = /^\s*GET\s+OPTIONS?\b[ \t]*([\s\S]*)$/i.exec(t))) {
    const names = m[1]
      .split(/[,\t]/)
      .map((s) => s.trim())
      .filter(Boolean);
    return { kind: 'get-options', names };
  }
  if (/^\s*AC_UNLOCK\b/i.test(t)) return { kind: 'ac-unlock' };
  if (/^\s*AC_UNALARM\b/i.test(t)) return { kind: 'ac-unalarm' };
  if (/^\s*REBOOT\b/i.test(t)) return { kind: 'reboot' };
  if (/^\s*CLEAR\s+LOG\b/i.test(t)) return { kind: 'clear-log' };
  if ((m = /^\s*(CHECK|INFO|LOG)\s*$/i.exec(t))) return { kind: 'noop', name: m[1].toUpperCase() };
  const name = (/^\s*([A-Za-z_]+(?:\s+[A-Z_]+)?)/.exec(t)?.[1] ?? t.trim()).trim();
  return { kind: 'unknown', name: name || '(empty)' };
}

/**
 * The `CMD=` value reported for a command in `devicecmd` (§2.7): the command family, as ZK
 * firmware does (`CONTROL DEVICE`, `DATA`, `SET OPTIONS`, ...).
 */
export function commandResultName(cmd: PushCommand): string {
  switch (cmd.kind) {
    case 'control-device':
      return 'CONTROL DEVICE';
    case 'data-update':
    case 'data-delete':
    case 'data-count':
    case 'data-query':
      return 'DATA';
    case 'set-options':
      return 'SET OPTIONS';
    case 'get-options':
      return 'GET OPTIONS';
    case 'ac-unlock':
      return 'AC_UNLOCK';
    case 'ac-unalarm':
      return 'AC_UNALARM';
    case 'reboot':
      return 'REBOOT';
    case 'clear-log':
      return 'CLEAR LOG';
    case 'noop':
    case 'unknown':
    case 'malformed':
      return cmd.name;
  }
}

// ---------------------------------------------------------------------------------------------
// Command results (§2.7)
// ---------------------------------------------------------------------------------------------

export interface DeviceCmdResult {
  readonly id: string;
  /** ≥ 0 success; negative codes per §3.3. */
  readonly returnCode: number;
  readonly cmd: string;
}

/** `ID=<id>&Return=<n>&CMD=<cmd>` (CMD is not URL-encoded and may contain spaces). */
export function formatDeviceCmdResult(r: DeviceCmdResult): string {
  return `ID=${r.id}&Return=${r.returnCode}&CMD=${r.cmd}`;
}

/** Parses a `devicecmd` body (for servers and test fixtures). Lines without `ID` are dropped. */
export function parseDeviceCmdResults(body: string): DeviceCmdResult[] {
  const out: DeviceCmdResult[] = [];
  for (const line of splitLines(body)) {
    const kv = new KeyValueRecord(
      line
        .split('&')
        .map(splitPair)
        .filter((p): p is [string, string] => p !== null),
    );
    const id = kv.get('ID');
    const ret = kv.getInt('Return');
    if (id === undefined || ret === undefined) continue;
    out.push({ id, returnCode: ret, cmd: kv.get('CMD') ?? '' });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Uploads (§2.6, §4)
// ---------------------------------------------------------------------------------------------

/** One `rtlog` record. */
export interface RtlogRecord {
  /** `YYYY-MM-DD hh:mm:ss`, device local time. */
  readonly time: string;
  /** Person id; `0` when unknown. */
  readonly pin: string;
  /** Card number (decimal) or QR text; `0` when none. */
  readonly cardno: string;
  readonly sitecode?: number;
  readonly linkid?: number;
  /** Door number (0 = device-level, e.g. tamper). */
  readonly eventaddr: number;
  /** Event code (§7). */
  readonly event: number;
  /** 0 = in, 1 = out (2 = none). */
  readonly inoutstatus: number;
  /** Verify mode, §7 (4 card, 15 face, 200 other). */
  readonly verifytype: number;
  /** Device record id, monotonic; servers de-duplicate on it. */
  readonly index: number;
}

/** Formats an `rtlog` line in the key order of docs/push-protocol.md §2.6. */
export function formatRtlog(r: RtlogRecord): string {
  return formatTabRecord([
    ['time', r.time],
    ['pin', r.pin],
    ['cardno', r.cardno],
    ['sitecode', r.sitecode ?? 0],
    ['linkid', r.linkid ?? 0],
    ['eventaddr', r.eventaddr],
    ['event', r.event],
    ['inoutstatus', r.inoutstatus],
    ['verifytype', r.verifytype],
    ['index', r.index],
  ]);
}

/** Parses an `rtlog` line (for servers and fixtures); `null` when a required key is missing. */
export function parseRtlog(line: string): RtlogRecord | null {
  const kv = parseTabRecord(line);
  const event = kv.getInt('event');
  const index = kv.getInt('index');
  const time = kv.get('time');
  if (event === undefined || index === undefined || time === undefined) return null;
  return {
    time,
    pin: kv.get('pin') ?? '0',
    cardno: kv.get('cardno') ?? '0',
    sitecode: kv.getInt('sitecode') ?? 0,
    linkid: kv.getInt('linkid') ?? 0,
    eventaddr: kv.getInt('eventaddr') ?? 0,
    event,
    inoutstatus: kv.getInt('inoutstatus') ?? 0,
    verifytype: kv.getInt('verifytype') ?? 0,
    index,
  };
}

/** Sensor state of one door in `rtstate` (2 bits). */
export const SensorBits = { NONE: 0b00, CLOSED: 0b01, OPEN: 0b10 } as const;
export type SensorBits = (typeof SensorBits)[keyof typeof SensorBits];

/** Alarm bits of one door in `rtstate` (one byte per door). */
export const AlarmBits = {
  FORCED_OPEN: 1,
  TAMPER: 2,
  DURESS_PASSWORD: 4,
  DURESS_FINGERPRINT: 8,
  OPEN_TIMEOUT: 16,
  MAINS_FAILURE: 32,
  BATTERY: 64,
  READER_TAMPER: 128,
} as const;

/** Per-door input to {@link formatRtstate}, door 1 first. */
export interface DoorStateBits {
  readonly sensor: SensorBits;
  readonly relayOpen: boolean;
  /** Alarm byte, see {@link AlarmBits}. */
  readonly alarm: number;
}

/**
 * `time=…\tsensor=XXXX\trelay=XX\talarm=XXXXXXXXXXXXXXXX` (§2.6).
 * - `sensor`: 2 bits per door, door 1 in the lowest bits, written as a 16-bit number in hex.
 * - `relay`: 1 bit per door, door 1 lowest, 8-bit hex.
 * - `alarm`: one byte per door, door 1 first (8 bytes).
 * The widths follow the usual placeholders (AABB / CC / DDEE…KK); the byte order inside
 * `sensor` is our reading of "door 1 in the lowest bits" (a guess; real firmware varies).
 */
export function formatRtstate(time: string, doors: readonly DoorStateBits[]): string {
  let sensor = 0;
  let relay = 0;
  const alarm = new Array<number>(8).fill(0);
  doors.slice(0, 8).forEach((d, i) => {
    sensor |= (d.sensor & 0b11) << (2 * i);
    if (d.relayOpen) relay |= 1 << i;
    alarm[i] = d.alarm & 0xff;
  });
  const hex = (n: number, w: number): string => n.toString(16).toUpperCase().padStart(w, '0');
  return formatTabRecord([
    ['time', time],
    ['sensor', hex(sensor & 0xffff, 4)],
    ['relay', hex(relay & 0xff, 2)],
    ['alarm', alarm.map((b) => hex(b, 2)).join('')],
  ]);
}

/** Decodes an `rtstate` line into per-door bits (inverse of {@link formatRtstate}). */
export function parseRtstate(line: string, doorCount: number): { time: string; doors: DoorStateBits[] } | null {
  const kv = parseTabRecord(line);
  const time = kv.get('time');
  const sensorHex = kv.get('sensor');
  const relayHex = kv.get('relay');
  const alarmHex = kv.get('alarm');
  if (time === undefined || sensorHex === undefined || relayHex === undefined || alarmHex === undefined) return null;
  const sensor = parseInt(sensorHex, 16);
  const relay = parseInt(relayHex, 16);
  if (Number.isNaN(sensor) || Number.isNaN(relay) || !/^[0-9a-f]*$/i.test(alarmHex)) return null;
  const doors: DoorStateBits[] = [];
  for (let i = 0; i < doorCount; i++) {
    doors.push({
      sensor: ((sensor >> (2 * i)) & 0b11) as SensorBits,
      relayOpen: ((relay >> i) & 1) === 1,
      alarm: parseInt(alarmHex.slice(2 * i, 2 * i + 2) || '0', 16),
    });
  }
  return { time, doors };
}

/** One attendance punch (§4). */
export interface AttlogRecord {
  readonly pin: string;
  /** `YYYY-MM-DD hh:mm:ss`. */
  readonly time: string;
  /** 0 in, 1 out, 2 break-out, 3 break-in, 4 OT-in, 5 OT-out. */
  readonly status: number;
  /** Verify mode (§7). */
  readonly verify: number;
  readonly workcode?: number;
}

/** `PIN\tYYYY-MM-DD hh:mm:ss\tStatus\tVerify\tWorkcode\tRes1\tRes2` (positional). */
export function formatAttlog(r: AttlogRecord): string {
  return [r.pin, r.time, r.status, r.verify, r.workcode ?? 0, 0, 0].join('\t');
}

/** Parses an `ATTLOG` line; `null` when it has fewer than 4 fields. */
export function parseAttlog(line: string): AttlogRecord | null {
  const f = line.replace(/\r$/, '').split('\t');
  if (f.length < 4) return null;
  return { pin: f[0], time: f[1], status: Number(f[2]), verify: Number(f[3]), workcode: Number(f[4] ?? 0) };
}

/** Reads `OK:<n>` (the attendance upload ack); `null` for anything else, including a bare `OK`. */
export function parseAttlogAck(body: string): number | null {
  const m = /^\s*OK:\s*(\d+)\s*$/i.exec(splitLines(body)[0] ?? '');
  return m ? Number(m[1]) : null;
}

/** True when a reply's first line is `OK` (trailing text after it is tolerated). */
export function isOkReply(body: string): boolean {
  return (splitLines(body)[0] ?? '').trim().toUpperCase() === 'OK';
}

/** A table-data line: `<table> k=v\tk=v` (used for `querydata` answers). */
export function formatTableRecord(table: string, pairs: ReadonlyArray<readonly [string, string | number]>): string {
  return `${table} ${formatTabRecord(pairs)}`;
}

// ---------------------------------------------------------------------------------------------
// Remote verification (§2.9)
// ---------------------------------------------------------------------------------------------

export type AuthVerdict = 'SUCCESS' | 'FAILED' | 'TIMEOUT';

export interface AuthReply {
  readonly verdict: AuthVerdict;
  /** The record the server echoed, if any (may carry the resolved `pin`). */
  readonly record?: KeyValueRecord;
  /** A `CONTROL DEVICE` the server attached (how long to open), if any. */
  readonly control?: ControlDeviceArgs;
}

/** Parses `AUTH=SUCCESS|FAILED|TIMEOUT\r\n<record>\r\nCONTROL DEVICE 01010105`; `null` if no verdict. */
export function parseAuthReply(body: string): AuthReply | null {
  const lines = splitLines(body);
  const first = /^\s*AUTH\s*=\s*(\w+)/i.exec(lines[0] ?? '');
  const verdict = first?.[1]?.toUpperCase();
  if (verdict !== 'SUCCESS' && verdict !== 'FAILED' && verdict !== 'TIMEOUT') return null;
  let record: KeyValueRecord | undefined;
  let control: ControlDeviceArgs | undefined;
  for (const line of lines.slice(1)) {
    const c = /^\s*(?:C:[^:]*:)?CONTROL\s+DEVICE\s+(.*)$/i.exec(line);
    if (c) {
      control = parseControlDeviceArgs(c[1]) ?? undefined;
    } else if (line.includes('=')) {
      record = parseTabRecord(line);
    }
  }
  return { verdict, ...(record ? { record } : {}), ...(control ? { control } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Credentials and time-zone slots
// ---------------------------------------------------------------------------------------------

/**
 * Normalises a card number: decimal stays decimal (leading zeros dropped); `[15CD5B07]` is
 * little-endian hex (§3) → `123456789`. Empty / `0` → `''` (no card).
 */
export function normalizeCardNo(text: string | undefined): string {
  const t = (text ?? '').trim();
  const bracket = /^\[([0-9a-f]+)\]$/i.exec(t);
  if (bracket) {
    const bytes = bracket[1].length % 2 === 0 ? bracket[1].match(/../g)! : [];
    const value = bytes.reduceRight((acc, b) => acc * 256n + BigInt(parseInt(b, 16)), 0n);
    return value === 0n ? '' : value.toString();
  }
  if (/^\d+$/.test(t)) {
    const v = t.replace(/^0+/, '');
    return v;
  }
  return t;
}

/** A slot value `(HHMM_start<<16)+HHMM_end`; e.g. 08:30–12:00 = 54396080. */
export function encodeTimeSlot(startHHMM: number, endHHMM: number): number {
  return startHHMM * 65536 + endHHMM;
}

/** Inverse of {@link encodeTimeSlot}. */
export function decodeTimeSlot(value: number): { start: number; end: number } {
  return { start: Math.floor(value / 65536), end: value % 65536 };
}

// ---------------------------------------------------------------------------------------------
// Registration
// ---------------------------------------------------------------------------------------------

/** `Cookie: token=` value: hex MD5 of RegistryCode + SN + SessionID (§1). */
export function pushToken(registryCode: string, sn: string, sessionId: string): string {
  return createHash('md5').update(`${registryCode}${sn}${sessionId}`).digest('hex');
}

/**
 * Builds an `AccSupportFunList` bit string: `bits` are positions set to 1 (position 0 first).
 * Bit 2 = door lock supported, 3 = emergency dual-open/close, 26 = tables carry `DevID`.
 */
export function accSupportFunList(bits: readonly number[], length = 64): string {
  const out = new Array<string>(length).fill('0');
  for (const b of bits) if (b >= 0 && b < length) out[b] = '1';
  return out.join('');
}
