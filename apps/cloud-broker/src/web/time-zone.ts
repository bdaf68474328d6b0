import type { Request } from 'express';

/** The cookie the pages' script sets to the browser's IANA time zone (web/portal-assets.ts). */
export const TIME_ZONE_COOKIE = 'lb_tz';

const ZONE = /^[A-Za-z0-9_+/-]{1,64}$/;

/** True for a zone name this runtime knows (`Europe/Paris`, `UTC`). */
export function isTimeZone(zone: string): boolean {
  if (!ZONE.test(zone)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The browser's time zone from its `lb_tz` cookie; undefined when absent or not a known zone. */
export function requestTimeZone(req: Request): string | undefined {
  const header = req.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== TIME_ZONE_COOKIE) continue;
    let zone: string;
    try {
      zone = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return undefined;
    }
    return isTimeZone(zone) ? zone : undefined;
  }
  return undefined;
}

/** "8 Dec 2026, 09:30 GMT+8": an instant for people, in the zone given (UTC when none). */
export function formatInstant(d: Date, zone: string | undefined): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: zone ?? 'UTC',
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  }).format(d);
}
