import { createHash } from 'node:crypto';

/** The fields of an event that tell a re-sent line from a new event that reuses its index. */
export interface FingerprintFields {
  readonly time: Date;
  readonly code: number;
  readonly doorNo: number | null;
  readonly inOut: number | null;
  readonly verifyType: string | null;
}

/**
 * What a terminal's record says, as a UUID-shaped MD5 of time (ms), event code, door, direction
 * and verify mode. Stored with the device and its record index, it makes the de-duplication key
 * (docs/architecture.md, "De-duplication of terminal events"): the same line sent again has the
 * same fingerprint and is stored once; a new event under an index the terminal reused (after a
 * restart, a factory reset or a cleared log) has another time and is stored. Person fields (pin,
 * card) are left out so the key holds no personal data once a person is erased.
 *
 * The migration that added the column computes the same value in SQL
 * (1767600000000-event-fingerprint.ts, FINGERPRINT_SQL); the two must stay identical.
 */
export function eventFingerprint(e: FingerprintFields): string {
  const text = `${e.time.getTime()}|${e.code}|${e.doorNo ?? '-'}|${e.inOut ?? '-'}|${e.verifyType ?? '-'}`;
  const hex = createHash('md5').update(text, 'utf8').digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
