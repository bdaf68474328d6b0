/**
 * The terminal's local access decision (docs/push-protocol.md §10.4), a pure function of the tables, the
 * credential, the door and the wall-clock time. Order of checks, first match wins:
 *
 * | # | check                                                        | event |
 * |---|--------------------------------------------------------------|-------|
 * | 1 | credential not in `user`                                     | 27 Unregistered Personnel |
 * | 2 | `disable=1`                                                  | 39 Blacklisted |
 * | 3 | `endtime` passed (or `starttime` not reached; our addition)  | 29 Personnel Expired |
 * | 4 | no `userauthorize` row whose door mask covers the door       | 23 Access Denied |
 * | 5 | none of those rows' time zones covers now                    | 22 Illegal Time Zone |
 * | 6 | the door is locked down (`CONTROL DEVICE 06..01..`)          | 63 Door locked |
 * | — | otherwise                                                    | 0 Normal Verify Open |
 *
 * Attendance mode skips checks 4 and 5 (attendance terminals have no door rights).
 * Time zone id 1 with no `timezone` row counts as "24 hours" (ZK devices ship that default;
 * a guess). A holiday row for today switches to the `HolN` slots of the time zone.
 */
import { encodePushTime, type PushTimeParts } from './push-codec';
import { type TerminalTables, type TimezoneDay, type TimezoneRow, type UserRow } from './terminal-tables';

/** Event codes the decision can produce (docs/push-protocol.md §7). */
export const AccessEvent = {
  GRANTED: 0,
  ILLEGAL_TIME_ZONE: 22,
  ACCESS_DENIED: 23,
  UNREGISTERED: 27,
  EXPIRED: 29,
  BLACKLISTED: 39,
  DOOR_LOCKED: 63,
} as const;
export type AccessEvent = (typeof AccessEvent)[keyof typeof AccessEvent];

export type Credential =
  /** Card number as read (decimal or `[hex]`). */
  | { readonly kind: 'card'; readonly cardno: string }
  /** Person id, as a face or fingerprint match yields. */
  | { readonly kind: 'pin'; readonly pin: string };

export interface AccessDecisionInput {
  readonly tables: TerminalTables;
  readonly credential: Credential;
  /** Door number, 1-based. */
  readonly door: number;
  /** Terminal wall-clock time. */
  readonly now: PushTimeParts;
  /** Door under remote lock (`CONTROL DEVICE 06`). */
  readonly doorLocked: boolean;
  /** False in attendance mode: skip door rights and time zones. */
  readonly checkDoorRights: boolean;
}

export interface AccessDecision {
  readonly event: AccessEvent;
  /** The matched person, when the credential is known. */
  readonly user?: UserRow;
}

const DAYS: readonly TimezoneDay[] = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** Which slot set of a time zone applies today: a holiday type, or the weekday. */
export function dayKeyFor(tables: TerminalTables, now: PushTimeParts): TimezoneDay {
  const ymd = `${now.year}${String(now.month).padStart(2, '0')}${String(now.day).padStart(2, '0')}`;
  for (const h of tables.holidays()) {
    if (h.date === ymd || (h.loop && h.date.slice(4) === ymd.slice(4))) return `Hol${h.type}` as TimezoneDay;
  }
  return DAYS[new Date(Date.UTC(now.year, now.month - 1, now.day)).getUTCDay()];
}

/** Is `now` inside one of the (non-zero) slots of `tz` for `day`? Bounds inclusive, HHMM. */
export function timezoneAllows(tz: TimezoneRow, day: TimezoneDay, now: PushTimeParts): boolean {
  const hhmm = now.hour * 100 + now.minute;
  return tz.slots[day].some((v) => {
    if (v === 0) return false;
    const start = Math.floor(v / 65536);
    const end = v % 65536;
    return start <= hhmm && hhmm <= end;
  });
}

export function decideAccess(input: AccessDecisionInput): AccessDecision {
  const { tables, credential, door, now } = input;
  const user =
    credential.kind === 'card' ? tables.userByCard(credential.cardno) : tables.userByPinOrUndefined(credential.pin);
  if (!user) return { event: AccessEvent.UNREGISTERED };
  if (user.disable) return { event: AccessEvent.BLACKLISTED, user };
  const t = encodePushTime(now);
  if ((user.endtime !== 0 && t > user.endtime) || (user.starttime !== 0 && t < user.starttime)) {
    return { event: AccessEvent.EXPIRED, user };
  }
  if (input.checkDoorRights) {
    const bit = 1 << (door - 1);
    const rights = tables.authorizations(user.pin).filter((a) => (a.doorMask & bit) !== 0);
    if (rights.length === 0) return { event: AccessEvent.ACCESS_DENIED, user };
    const day = dayKeyFor(tables, now);
    const inZone = rights.some((a) => {
      const tz = tables.timezone(a.timezoneId);
      if (!tz) return a.timezoneId === 1;
      return timezoneAllows(tz, day, now);
    });
    if (!inZone) return { event: AccessEvent.ILLEGAL_TIME_ZONE, user };
  }
  if (input.doorLocked) return { event: AccessEvent.DOOR_LOCKED, user };
  return { event: AccessEvent.GRANTED, user };
}
