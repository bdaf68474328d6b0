import type { CloudDevice, CloudEventLog, CloudSettings } from '../cloud-data/cloud-data.repository';
import type { SiteNotification } from '../push/site-notification';
import { UplinkError, UplinkErrorCode } from './uplink-error';

/**
 * Typed edges of the uplink: each body is checked field by field, unknown fields refused, every
 * string bounded. A malformed envelope is refused whole (400 UPLINK_VALIDATION_FAILED, listing
 * the first problems); a malformed item is left out of `accepted` and reported in `rejected`, so
 * one bad item never holds up the rest of the site's outbox.
 */

/** Items in one request; the site's outbox sends batches of at most 100. */
export const MAX_ITEMS = 100;

/** An item id the site chose: a non-negative integer or a short token (no `:`: it goes into job ids). */
export type SiteId = string | number;

const ID = /^[A-Za-z0-9._-]{1,64}$/;
const RECIPIENT = /^(admin|personnel):[A-Za-z0-9._-]{1,64}$/;
const MAX_RECIPIENTS = 1000;
const MAX_DATA_BYTES = 2048;

type Obj = Record<string, unknown>;

class Problems {
  readonly list: string[] = [];
  add(path: string, what: string): undefined {
    this.list.push(`${path} ${what}`);
    return undefined;
  }
  throwIfAny(): void {
    if (this.list.length === 0) return;
    const shown = this.list.slice(0, 5).join('; ');
    const more = this.list.length > 5 ? ` (and ${this.list.length - 5} more)` : '';
    throw new UplinkError(UplinkErrorCode.UPLINK_VALIDATION_FAILED, `${shown}${more}`);
  }
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function exactly(o: Obj, path: string, allowed: readonly string[], p: Problems): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) p.add(`${path}.${k}`, 'is not a known field');
}

// In a `u` regular expression a paired surrogate is one code point, so only lone ones match.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * Why a string cannot be stored as it is, or undefined. PostgreSQL's text and jsonb hold no
 * U+0000, and a lone surrogate would be silently replaced on the way to UTF-8: either would
 * fail or alter the whole batch's insert, so the item is refused instead.
 */
function unstorable(v: string): string | undefined {
  if (v.includes('\u0000')) return 'must not contain U+0000';
  if (LONE_SURROGATE.test(v)) return 'must be well-formed Unicode (no lone surrogate)';
  return undefined;
}

function text(
  o: Obj,
  key: string,
  path: string,
  p: Problems,
  max: number,
  nullable = false,
): string | null | undefined {
  const v = o[key];
  if (nullable && (v === null || v === undefined)) return null;
  if (typeof v !== 'string') return p.add(`${path}.${key}`, nullable ? 'must be a string or null' : 'must be a string');
  if (v.length > max) return p.add(`${path}.${key}`, `must be at most ${max} characters`);
  const why = unstorable(v);
  if (why) return p.add(`${path}.${key}`, why);
  return v;
}

/** Checks every key and string inside a JSON value (the notification's `data`); the first problem. */
function unstorableJson(v: unknown, path: string): { path: string; why: string } | undefined {
  if (typeof v === 'string') {
    const why = unstorable(v);
    return why ? { path, why } : undefined;
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const bad = unstorableJson(v[i], `${path}[${i}]`);
      if (bad) return bad;
    }
    return undefined;
  }
  if (isObj(v)) {
    for (const [k, inner] of Object.entries(v)) {
      const why = unstorable(k);
      if (why) return { path: `${path} key`, why };
      const bad = unstorableJson(inner, `${path}.${k}`);
      if (bad) return bad;
    }
  }
  return undefined;
}

function timestamp(o: Obj, key: string, path: string, p: Problems, nullable = false): Date | null | undefined {
  const v = o[key];
  if (nullable && (v === null || v === undefined)) return null;
  // Date.parse overlooks a trailing U+0000, which the raw text would then carry on.
  if (
    typeof v !== 'string' ||
    v.length > 40 ||
    !/^\d{4}-\d{2}-\d{2}T/.test(v) ||
    unstorable(v) ||
    Number.isNaN(Date.parse(v))
  ) {
    return p.add(`${path}.${key}`, 'must be an ISO 8601 date-time');
  }
  return new Date(v);
}

function siteId(v: unknown, path: string, p: Problems): { raw: SiteId; key: string } | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return { raw: v, key: String(v) };
  if (typeof v === 'string' && ID.test(v)) return { raw: v, key: v };
  return p.add(path, 'must be a non-negative integer or 1-64 of A-Z a-z 0-9 . _ -');
}

function items(body: unknown, p: Problems): unknown[] {
  if (!isObj(body)) {
    p.add('body', 'must be a JSON object {items: [...]}');
    return [];
  }
  exactly(body, 'body', ['items'], p);
  if (!Array.isArray(body.items)) {
    p.add('body.items', 'must be an array');
    return [];
  }
  if (body.items.length > MAX_ITEMS) {
    p.add('body.items', `must hold at most ${MAX_ITEMS} items`);
    return [];
  }
  return body.items;
}

export interface Rejected {
  readonly index: number;
  /** The item's id when it had a usable one. */
  readonly id?: SiteId;
  readonly problems: readonly string[];
}

export interface Parsed<T> {
  readonly items: readonly T[];
  /** The ids as the site sent them, in order, for `{accepted}`. */
  readonly ids: readonly SiteId[];
  readonly rejected: readonly Rejected[];
}

type ItemParser<T> = (raw: Obj, path: string, p: Problems) => { id: SiteId; item: T } | undefined;

/** The id a rejected item is named by: what the site would have been acknowledged with. */
type IdOf = (raw: Obj) => unknown;
const byId: IdOf = (raw) => raw.id;

function batch<T>(body: unknown, idOf: IdOf, parseItem: ItemParser<T>): Parsed<T> {
  const envelope = new Problems();
  const list = items(body, envelope);
  envelope.throwIfAny();
  const out: T[] = [];
  const ids: SiteId[] = [];
  const rejected: Rejected[] = [];
  list.forEach((raw, index) => {
    const path = `items[${index}]`;
    const p = new Problems();
    const r = isObj(raw) ? parseItem(raw, path, p) : p.add(path, 'must be an object');
    if (r && p.list.length === 0) {
      ids.push(r.id);
      out.push(r.item);
      return;
    }
    const id = isObj(raw) ? siteId(idOf(raw), '', new Problems()) : undefined;
    rejected.push({
      index,
      ...(id ? { id: id.raw } : {}),
      problems: p.list.length > 0 ? p.list : [`${path} is invalid`],
    });
  });
  return { items: out, ids, rejected };
}

export function parseNotifications(body: unknown): Parsed<SiteNotification> {
  return batch(body, byId, (raw, path, p) => {
    exactly(raw, path, ['id', 'recipients', 'notification'], p);
    const id = siteId(raw.id, `${path}.id`, p);
    const recipients = raw.recipients;
    let okRecipients: string[] | undefined;
    if (!Array.isArray(recipients) || recipients.length > MAX_RECIPIENTS) {
      p.add(`${path}.recipients`, `must be an array of at most ${MAX_RECIPIENTS}`);
    } else if (!recipients.every((r): r is string => typeof r === 'string' && RECIPIENT.test(r))) {
      p.add(`${path}.recipients`, 'must hold "admin:<id>" or "personnel:<id>"');
    } else okRecipients = recipients;
    const n = raw.notification;
    if (!isObj(n)) return p.add(`${path}.notification`, 'must be an object');
    const np = `${path}.notification`;
    exactly(n, np, ['type', 'title', 'body', 'data', 'createdAt'], p);
    const type =
      n.type === 'alarm' || n.type === 'notification' ? n.type : p.add(`${np}.type`, 'must be alarm or notification');
    const title = text(n, 'title', np, p, 200);
    const bodyText = text(n, 'body', np, p, 2000);
    let data: Obj | null = null;
    if (n.data !== undefined && n.data !== null) {
      if (!isObj(n.data)) p.add(`${np}.data`, 'must be an object or null');
      else if (Buffer.byteLength(JSON.stringify(n.data)) > MAX_DATA_BYTES) {
        p.add(`${np}.data`, `must be at most ${MAX_DATA_BYTES} bytes of JSON`);
      } else {
        const bad = unstorableJson(n.data, `${np}.data`);
        if (bad) p.add(bad.path, bad.why);
        else data = n.data;
      }
    }
    const createdAt = timestamp(n, 'createdAt', np, p);
    if (!id || !okRecipients || !type || typeof title !== 'string' || typeof bodyText !== 'string' || !createdAt) {
      return undefined;
    }
    const createdAtText = n.createdAt as string;
    return {
      id: id.raw,
      item: {
        id: id.key,
        recipients: okRecipients,
        notification: { type, title, body: bodyText, data, createdAt: createdAtText },
      },
    };
  });
}

export function parseDevices(body: unknown): Parsed<CloudDevice> {
  const idOrSn: IdOf = (raw) => (raw.id === undefined ? raw.sn : raw.id);
  const parsed = batch<CloudDevice>(body, idOrSn, (raw, path, p) => {
    // `id` is optional: a site that acknowledges its outbox rows by id sends one; else the sn is the id.
    exactly(raw, path, ['id', 'sn', 'name', 'online', 'firmware', 'area', 'lastSeenAt'], p);
    const id = raw.id === undefined ? undefined : siteId(raw.id, `${path}.id`, p);
    const sn =
      typeof raw.sn === 'string' && ID.test(raw.sn) ? raw.sn : p.add(`${path}.sn`, 'must be 1-64 of A-Z a-z 0-9 . _ -');
    const name = text(raw, 'name', path, p, 200, true);
    const online = typeof raw.online === 'boolean' ? raw.online : p.add(`${path}.online`, 'must be true or false');
    const firmware = text(raw, 'firmware', path, p, 100, true);
    const area = text(raw, 'area', path, p, 200, true);
    const lastSeenAt = timestamp(raw, 'lastSeenAt', path, p, true);
    if (!sn || name === undefined || online === undefined || firmware === undefined || area === undefined) return;
    if (lastSeenAt === undefined) return;
    return { id: id ? id.raw : sn, item: { sn, name, online, firmware, area, lastSeenAt } };
  });
  // Several states of one device in a batch: the last one is the newest.
  const bySn = new Map<string, CloudDevice>();
  for (const d of parsed.items) bySn.set(d.sn, d);
  return { ...parsed, items: [...bySn.values()] };
}

export function parseEventLogs(body: unknown): Parsed<CloudEventLog> {
  return batch(body, byId, (raw, path, p) => {
    exactly(raw, path, ['id', 'time', 'deviceSn', 'deviceName', 'eventCode', 'eventName', 'level'], p);
    const id = siteId(raw.id, `${path}.id`, p);
    const time = timestamp(raw, 'time', path, p);
    const deviceSn = text(raw, 'deviceSn', path, p, 64, true);
    const deviceName = text(raw, 'deviceName', path, p, 200, true);
    const code = raw.eventCode;
    const eventCode =
      code === null || code === undefined
        ? null
        : typeof code === 'number' && Number.isSafeInteger(code)
          ? String(code)
          : typeof code === 'string' && code.length <= 32 && !unstorable(code)
            ? code
            : p.add(`${path}.eventCode`, 'must be an integer, a string of at most 32 characters (no U+0000), or null');
    const eventName = text(raw, 'eventName', path, p, 200, true);
    const level = text(raw, 'level', path, p, 32, true);
    if (!id || !time || deviceSn === undefined || deviceName === undefined || eventCode === undefined) return;
    if (eventName === undefined || level === undefined) return;
    return { id: id.raw, item: { id: id.key, time, deviceSn, deviceName, eventCode, eventName, level } };
  });
}

export function parseSettings(body: unknown): CloudSettings {
  const p = new Problems();
  if (!isObj(body)) {
    p.add('body', 'must be a JSON object {pushToApp, pushDataToCloud}');
    p.throwIfAny();
    return { pushToApp: false, pushDataToCloud: false };
  }
  exactly(body, 'body', ['pushToApp', 'pushDataToCloud'], p);
  const pushToApp =
    typeof body.pushToApp === 'boolean' ? body.pushToApp : p.add('body.pushToApp', 'must be true or false');
  const pushDataToCloud =
    typeof body.pushDataToCloud === 'boolean'
      ? body.pushDataToCloud
      : p.add('body.pushDataToCloud', 'must be true or false');
  p.throwIfAny();
  return { pushToApp: pushToApp === true, pushDataToCloud: pushDataToCloud === true };
}
