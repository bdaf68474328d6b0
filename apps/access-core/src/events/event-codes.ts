/**
 * Event codes → ZKBio English names and levels (docs/push-protocol.md §7). Levels come from the
 * code ranges: 0–19 and 200–253 normal, 20–99 exception, 100–199 alarm; extended
 * 4000s normal, 5000s exception, 6000s alarm; 700 is access-core's synthetic "Lost Connect".
 */
import type { EventLevel } from '../domain/access-event.entity';

export const LOST_CONNECT_EVENT = 700;

const NAMES: Readonly<Record<number, string>> = {
  0: 'Normal Verify Open',
  1: 'Verify During Passage Mode Time Zone',
  2: 'First-Personnel Open',
  3: 'Multi-Personnel Open',
  4: 'Emergency Password Open',
  5: 'Open during Passage Mode Time Zone',
  6: 'Linkage Event Triggered',
  7: 'Cancel Alarm',
  8: 'Remote Opening',
  9: 'Remote Closing',
  10: 'Disable Intraday Normal Open',
  11: 'Enable Intraday Normal Open',
  12: 'Aux Output Remotely Open',
  13: 'Aux Output Remotely Close',
  14: 'Normal Verify Open',
  17: 'Normal Verify Open',
  20: 'Operate Interval too Short',
  21: 'Door Inactive Time Zone Verify Open',
  22: 'Illegal Time Zone',
  23: 'Access Denied',
  24: 'Anti-Passback',
  25: 'Interlock',
  26: 'Multi-Personnel Authentication Wait',
  27: 'Unregistered Personnel',
  28: 'Open Door Timeout',
  29: 'Personnel Expired',
  30: 'Password Error',
  36: 'Exit button outside time zone',
  37: 'Failed to Close during Passage Mode',
  38: 'Card Reported Lost',
  39: 'Blacklisted',
  41: 'Verify Mode Error',
  42: 'Wiegand Format Error',
  44: 'Background Verify Failed',
  45: 'Background Verify Timed Out',
  48: 'Multi-Personnel Verify Failed',
  54: 'Battery Low',
  55: 'Replace Battery',
  58: 'Normal Open Alarm',
  63: 'Door Locked',
  68: 'High Temperature Denied',
  69: 'No Mask Denied',
  73: 'Invalid QR Code',
  74: 'QR Code Expired',
  100: 'Tamper Alarm',
  101: 'Duress Password Open',
  102: 'Opened Forcefully',
  103: 'Duress Fingerprint Open',
  104: 'Invalid Card Alarm',
  105: 'Can not connect to server',
  106: 'Battery Failure',
  107: 'Mains Power Failure',
  109: 'Reader Tamper',
  110: 'Reader Offline',
  200: 'Door Opened Correctly',
  201: 'Door Closed Correctly',
  202: 'Exit Button Open',
  204: 'Passage Mode Time Zone Over',
  205: 'Remote Normal Opening',
  206: 'Device Started',
  207: 'Password Open',
  208: 'Superuser Open',
  209: 'Exit button (locked)',
  210: 'Fire door opening',
  214: 'Connected to server',
  220: 'Aux Input Disconnected',
  221: 'Aux Input Shorted',
  222: 'Background Verification Success',
  224: 'Doorbell',
  227: 'Door dual-open',
  228: 'Door dual-close',
  233: 'Remote Lock',
  234: 'Remote Unlock',
  255: 'Door/alarm status',
  700: 'Lost Connect',
};

export function eventLevel(code: number): EventLevel {
  if (code === LOST_CONNECT_EVENT) return 'alarm';
  if ((code >= 20 && code <= 99) || (code >= 5000 && code <= 5999)) return 'exception';
  if ((code >= 100 && code <= 199) || (code >= 6000 && code <= 6999)) return 'alarm';
  return 'normal';
}

export function eventName(code: number): string {
  return NAMES[code] ?? (code >= 114 && code <= 121 ? 'Line Fault Alarm' : `Event ${code}`);
}

/** Verify modes (docs/push-protocol.md §7). */
const VERIFY_MODES: Readonly<Record<number, string>> = {
  0: 'auto',
  1: 'finger',
  2: 'user ID',
  3: 'password',
  4: 'card',
  5: 'finger or password',
  6: 'finger or card',
  7: 'card or password',
  10: 'card + finger',
  11: 'card + password',
  15: 'face',
  18: 'face + card',
  21: 'finger vein',
  25: 'palm',
  200: 'other',
};

/** Human name of a verify type as stored (`4`, or a 16-bit mask string such as `0000000000000010`). */
export function verifyModeName(verifyType: string | null): string | undefined {
  if (verifyType === null || verifyType === '') return undefined;
  if (/^[01]{16}$/.test(verifyType)) return `mask ${verifyType}`;
  const n = Number(verifyType);
  return Number.isInteger(n) ? (VERIFY_MODES[n] ?? `mode ${n}`) : undefined;
}
