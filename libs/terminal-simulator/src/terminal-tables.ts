/**
 * The terminal's in-memory data tables (docs/push-protocol.md §3.2, §10.2) and the DATA UPDATE / DELETE /
 * COUNT / QUERY operations on them. Table names are lower case; the attendance table
 * `userinfo` (§4) maps onto `user`.
 *
 * Return codes (≥ 0 success) follow §3.3: -11 bad parameter (a required key is missing or not a
 * number), -629 bad table name.
 */
import { KeyValueRecord, formatTableRecord, normalizeCardNo, parseKeyValueText, type RtlogRecord } from './push-codec';

/** `user` row. Times are PUSH-encoded (0 = no limit). */
export interface UserRow {
  readonly pin: string;
  /** Normalised decimal card number, `''` when none. */
  readonly cardno: string;
  readonly password: string;
  readonly name: string;
  /** 0 user, 2 registrar, 6 admin, 14 super admin (panels: SuperAuthorize). */
  readonly privilege: number;
  /** Disabled / blacklisted: every verification gives event 39. */
  readonly disable: boolean;
  readonly starttime: number;
  readonly endtime: number;
  readonly group: number;
}

/** `userauthorize` row: which doors a person may open, in which time zone. */
export interface UserAuthorizeRow {
  readonly pin: string;
  readonly timezoneId: number;
  /** Door bitmask: door 1 = 1, door 2 = 2, door 3 = 4, door 4 = 8. */
  readonly doorMask: number;
  readonly devId: number;
}

/** Day keys of a time zone: Sunday..Saturday, then the three holiday types. */
export const TIMEZONE_DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Hol1', 'Hol2', 'Hol3'] as const;
export type TimezoneDay = (typeof TIMEZONE_DAYS)[number];

/** `timezone` row: three slots per day, each `(HHMM_start<<16)+HHMM_end` (0 = unused). */
export interface TimezoneRow {
  readonly timezoneId: number;
  readonly slots: Readonly<Record<TimezoneDay, readonly [number, number, number]>>;
}

/** `holiday` row. */
export interface HolidayRow {
  /** `YYYYMMDD`. */
  readonly date: string;
  /** 1–3: which `HolN` slots of a time zone apply on that day. */
  readonly type: number;
  /** Repeats every year (only month and day compared). */
  readonly loop: boolean;
}

/** `transaction` row: the device's own event log, answered to `DATA QUERY tablename=transaction`. */
export interface TransactionRow extends RtlogRecord {
  /** PUSH-encoded time (`time_second`). */
  readonly timeSecond: number;
}

/** A negative return code from a table operation. */
export class TableOpError extends Error {
  constructor(
    readonly returnCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'TableOpError';
  }
}

const BAD_PARAMETER = -11;
const BAD_TABLE = -629;

function intField(r: KeyValueRecord, key: string, fallback: number, ...aliases: string[]): number {
  for (const k of [key, ...aliases]) {
    const raw = r.get(k);
    if (raw === undefined || raw.trim() === '') continue;
    const v = r.getInt(k);
    if (v === undefined) throw new TableOpError(BAD_PARAMETER, `${k}=${raw} is not an integer`);
    return v;
  }
  return fallback;
}

function strField(r: KeyValueRecord, ...keys: string[]): string | undefined {
  for (const k of keys) {
    const v = r.get(k);
    if (v !== undefined) return v;
  }
  return undefined;
}

function requirePin(r: KeyValueRecord): string {
  const pin = strField(r, 'Pin', 'PIN')?.trim();
  if (!pin) throw new TableOpError(BAD_PARAMETER, 'record without Pin');
  return pin;
}

/** Does a row (as ordered pairs) satisfy every `key=value` of a condition (case-insensitive keys)? */
function rowMatches(pairs: ReadonlyArray<readonly [string, string | number]>, cond: KeyValueRecord): boolean {
  const row = new KeyValueRecord(pairs.map(([k, v]) => [k, String(v)] as const));
  return cond.entries().every(([k, v]) => {
    const have = row.get(k);
    if (have === undefined) return false;
    return k.toLowerCase() === 'cardno' ? normalizeCardNo(have) === normalizeCardNo(v) : have === v;
  });
}

/** The tables and their operations. Every mutation goes through here. */
export class TerminalTables {
  private readonly userByPin = new Map<string, UserRow>();
  private readonly authByKey = new Map<string, UserAuthorizeRow>();
  private readonly tzById = new Map<number, TimezoneRow>();
  private readonly holidayByDate = new Map<string, HolidayRow>();
  private readonly txns: TransactionRow[] = [];

  /**
   * @param maxTransactions bound of the stored event log (oldest dropped first).
   */
  constructor(private readonly maxTransactions = 100_000) {}

  users(): UserRow[] {
    return [...this.userByPin.values()];
  }
  userByPinOrUndefined(pin: string): UserRow | undefined {
    return this.userByPin.get(pin);
  }
  userByCard(cardno: string): UserRow | undefined {
    const want = normalizeCardNo(cardno);
    if (!want) return undefined;
    for (const u of this.userByPin.values()) if (u.cardno === want) return u;
    return undefined;
  }
  authorizations(pin?: string): UserAuthorizeRow[] {
    const all = [...this.authByKey.values()];
    return pin === undefined ? all : all.filter((a) => a.pin === pin);
  }
  timezone(id: number): TimezoneRow | undefined {
    return this.tzById.get(id);
  }
  timezones(): TimezoneRow[] {
    return [...this.tzById.values()];
  }
  holidays(): HolidayRow[] {
    return [...this.holidayByDate.values()];
  }
  transactions(): readonly TransactionRow[] {
    return this.txns;
  }

  addTransaction(row: TransactionRow): void {
    this.txns.push(row);
    if (this.txns.length > this.maxTransactions) this.txns.splice(0, this.txns.length - this.maxTransactions);
  }

  /** Empties every table (factory reset). */
  clear(): void {
    this.userByPin.clear();
    this.authByKey.clear();
    this.tzById.clear();
    this.holidayByDate.clear();
    this.txns.length = 0;
  }

  clearTransactions(): void {
    this.txns.length = 0;
  }

  /**
   * `DATA UPDATE <table> <record>`: insert or replace. Keys:
   * user → Pin; userauthorize → (Pin, AuthorizeTimezoneId, DevID) (a guess: a person may hold
   * several time zones); timezone → TimezoneId; holiday → Holiday (date).
   * @throws TableOpError -11 on a missing/invalid field, -629 on a table the simulator lacks.
   */
  update(table: string, r: KeyValueRecord): void {
    switch (table.toLowerCase()) {
      case 'user': {
        const pin = requirePin(r);
        const prev = this.userByPin.get(pin);
        const privilege = intField(r, 'Privilege', prev?.privilege ?? 0, 'SuperAuthorize');
        this.userByPin.set(pin, {
          pin,
          cardno: r.has('CardNo') ? normalizeCardNo(r.get('CardNo')) : (prev?.cardno ?? ''),
          password: strField(r, 'Password') ?? prev?.password ?? '',
          name: strField(r, 'Name') ?? prev?.name ?? '',
          privilege,
          disable: intField(r, 'Disable', prev?.disable ? 1 : 0) !== 0,
          starttime: intField(r, 'StartTime', prev?.starttime ?? 0),
          endtime: intField(r, 'EndTime', prev?.endtime ?? 0),
          group: intField(r, 'Group', prev?.group ?? 0),
        });
        return;
      }
      case 'userinfo': {
        // Attendance form (§4): PIN, Name, Pri, Passwd, Card, Grp, TZ.
        const pin = requirePin(r);
        const prev = this.userByPin.get(pin);
        this.userByPin.set(pin, {
          pin,
          cardno: r.has('Card') ? normalizeCardNo(r.get('Card')) : (prev?.cardno ?? ''),
          password: strField(r, 'Passwd') ?? prev?.password ?? '',
          name: strField(r, 'Name') ?? prev?.name ?? '',
          privilege: intField(r, 'Pri', prev?.privilege ?? 0),
          disable: prev?.disable ?? false,
          starttime: prev?.starttime ?? 0,
          endtime: prev?.endtime ?? 0,
          group: intField(r, 'Grp', prev?.group ?? 0),
        });
        return;
      }
      case 'userauthorize': {
        const pin = requirePin(r);
        const row: UserAuthorizeRow = {
          pin,
          timezoneId: intField(r, 'AuthorizeTimezoneId', 1),
          doorMask: intField(r, 'AuthorizeDoorId', 0),
          devId: intField(r, 'DevID', 1),
        };
        this.authByKey.set(`${pin}\u0000${row.timezoneId}\u0000${row.devId}`, row);
        return;
      }
      case 'timezone': {
        const id = intField(r, 'TimezoneId', -1);
        if (id < 0) throw new TableOpError(BAD_PARAMETER, 'timezone record without TimezoneId');
        const prev = this.tzById.get(id);
        const slots = {} as Record<TimezoneDay, readonly [number, number, number]>;
        for (const day of TIMEZONE_DAYS) {
          const old = prev?.slots[day] ?? [0, 0, 0];
          slots[day] = [
            intField(r, `${day}Time1`, old[0]),
            intField(r, `${day}Time2`, old[1]),
            intField(r, `${day}Time3`, old[2]),
          ];
        }
        this.tzById.set(id, { timezoneId: id, slots });
        return;
      }
      case 'holiday': {
        const date = strField(r, 'Holiday')?.trim() ?? '';
        if (!/^\d{8}$/.test(date)) throw new TableOpError(BAD_PARAMETER, `holiday date "${date}" is not YYYYMMDD`);
        const type = intField(r, 'HolidayType', 1);
        if (type < 1 || type > 3) throw new TableOpError(BAD_PARAMETER, `HolidayType=${type} is not 1–3`);
        this.holidayByDate.set(date, { date, type, loop: intField(r, 'Loop', 0) !== 0 });
        return;
      }
      default:
        throw new TableOpError(BAD_TABLE, `table "${table}" is not supported by the simulator`);
    }
  }

  /**
   * `DATA DELETE <table> <cond>`: `*` empties the table, otherwise rows matching every key.
   * Deleting a user also deletes their `userauthorize` rows, as panels do.
   * @returns the number of rows deleted.
   * @throws TableOpError -629 on an unknown table.
   */
  delete(table: string, cond: KeyValueRecord | '*'): number {
    const t = table.toLowerCase() === 'userinfo' ? 'user' : table.toLowerCase();
    const sweep = <T>(map: Map<string | number, T>, pairs: (row: T) => Array<[string, string | number]>): number => {
      let n = 0;
      for (const [k, row] of map) {
        if (cond === '*' || rowMatches(pairs(row), cond)) {
          map.delete(k);
          n++;
        }
      }
      return n;
    };
    switch (t) {
      case 'user': {
        const gone = this.users().filter((u) => cond === '*' || rowMatches(userPairs(u), cond));
        for (const u of gone) {
          this.userByPin.delete(u.pin);
          for (const [k, a] of this.authByKey) if (a.pin === u.pin) this.authByKey.delete(k);
        }
        return gone.length;
      }
      case 'userauthorize':
        return sweep(this.authByKey as Map<string | number, UserAuthorizeRow>, authPairs);
      case 'timezone':
        return sweep(this.tzById as Map<string | number, TimezoneRow>, tzPairs);
      case 'holiday':
        return sweep(this.holidayByDate as Map<string | number, HolidayRow>, holidayPairs);
      case 'transaction': {
        const before = this.txns.length;
        const keep = this.txns.filter((x) => cond !== '*' && !rowMatches(txnPairs(x), cond));
        this.txns.length = 0;
        this.txns.push(...keep);
        return before - keep.length;
      }
      default:
        throw new TableOpError(BAD_TABLE, `table "${table}" is not supported by the simulator`);
    }
  }

  /** `DATA COUNT <table>`; -629 on an unknown table. */
  count(table: string): number {
    switch (table.toLowerCase()) {
      case 'user':
      case 'userinfo':
        return this.userByPin.size;
      case 'userauthorize':
        return this.authByKey.size;
      case 'timezone':
        return this.tzById.size;
      case 'holiday':
        return this.holidayByDate.size;
      case 'transaction':
        return this.txns.length;
      default:
        throw new TableOpError(BAD_TABLE, `table "${table}" is not supported by the simulator`);
    }
  }

  /**
   * `DATA QUERY tablename=<t>,fielddesc=*,filter=<f>` → table-data lines (`<t> k=v\t…`).
   * `filter` `*`, `NewRecord` or empty returns every row; otherwise `k=v` pairs (comma or TAB
   * separated) that must all match.
   * @throws TableOpError -629 on an unknown table.
   */
  query(table: string, filter: string): string[] {
    const f = filter.trim();
    const cond = f === '' || f === '*' || /^newrecord$/i.test(f) ? null : parseKeyValueText(f.replace(/\t/g, ','));
    const t = table.toLowerCase();
    const pick = <T>(rows: T[], pairs: (row: T) => Array<[string, string | number]>): string[] =>
      rows.map(pairs).flatMap((p) => (cond === null || rowMatches(p, cond) ? [formatTableRecord(t, p)] : []));
    switch (t) {
      case 'user':
        return pick(this.users(), userPairs);
      case 'userauthorize':
        return pick(this.authorizations(), authPairs);
      case 'timezone':
        return pick(this.timezones(), tzPairs);
      case 'holiday':
        return pick(this.holidays(), holidayPairs);
      case 'transaction':
        return pick([...this.txns], txnPairs);
      default:
        throw new TableOpError(BAD_TABLE, `table "${table}" is not supported by the simulator`);
    }
  }
}

function userPairs(u: UserRow): Array<[string, string | number]> {
  return [
    ['uid', u.pin],
    ['cardno', u.cardno],
    ['pin', u.pin],
    ['password', u.password],
    ['group', u.group],
    ['starttime', u.starttime],
    ['endtime', u.endtime],
    ['name', u.name],
    ['privilege', u.privilege],
    ['disable', u.disable ? 1 : 0],
    ['verify', 0],
  ];
}

function authPairs(a: UserAuthorizeRow): Array<[string, string | number]> {
  return [
    ['pin', a.pin],
    ['authorizetimezoneid', a.timezoneId],
    ['authorizedoorid', a.doorMask],
    ['devid', a.devId],
  ];
}

function tzPairs(z: TimezoneRow): Array<[string, string | number]> {
  const out: Array<[string, string | number]> = [['timezoneid', z.timezoneId]];
  for (const day of TIMEZONE_DAYS) z.slots[day].forEach((v, i) => out.push([`${day.toLowerCase()}time${i + 1}`, v]));
  return out;
}

function holidayPairs(h: HolidayRow): Array<[string, string | number]> {
  return [
    ['holiday', h.date],
    ['holidaytype', h.type],
    ['loop', h.loop ? 1 : 0],
  ];
}

function txnPairs(x: TransactionRow): Array<[string, string | number]> {
  return [
    ['cardno', x.cardno],
    ['pin', x.pin],
    ['verified', x.verifytype],
    ['doorid', x.eventaddr],
    ['eventtype', x.event],
    ['inoutstate', x.inoutstatus],
    ['time_second', x.timeSecond],
    ['index', x.index],
    ['sitecode', x.sitecode ?? 0],
    ['devid', 1],
  ];
}
