/**
 * The QR texts the terminals pass to remote verification in `cardno`:
 *  - dynamic personnel QR  `LBQ1.<pin>.<8 digits>`: HMAC-SHA256 over `<pin>:<time step>` with a
 *    per-person secret, truncated as in RFC 4226; a step is 30 s; accepted for the current step
 *    ± 1 (clock skew between the phone and the site, and scan latency), so a code shown at the
 *    end of its step still works up to 30 s later and never more than ~90 s after it appeared;
 *  - invitation QR  `LBI1.<43 base64url chars>`: 256 random bits; only the SHA-256 is stored.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const DYNAMIC_QR_PREFIX = 'LBQ1.';
export const INVITATION_QR_PREFIX = 'LBI1.';
export const QR_STEP_SECONDS = 30;
/** Steps either side of the verifier's current step that are still accepted. */
export const QR_SKEW_STEPS = 1;
const DIGITS = 8;

const DYNAMIC = /^LBQ1\.([A-Za-z0-9_-]{1,24})\.(\d{8})$/;
const INVITATION = /^LBI1\.([A-Za-z0-9_-]{43})$/;

export function qrStep(nowMs: number): number {
  return Math.floor(nowMs / 1000 / QR_STEP_SECONDS);
}

/** The per-person secret, derived from the site secret so nothing per person must be stored. */
export function personQrSecret(siteSecret: Buffer, personId: string): Buffer {
  return createHmac('sha256', siteSecret).update(`person-qr:${personId}`).digest();
}

export function dynamicOtp(personSecret: Buffer, pin: string, step: number): string {
  const mac = createHmac('sha256', personSecret).update(`${pin}:${step}`).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const n = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(n % 10 ** DIGITS).padStart(DIGITS, '0');
}

export function dynamicCode(personSecret: Buffer, pin: string, step: number): string {
  return `${DYNAMIC_QR_PREFIX}${pin}.${dynamicOtp(personSecret, pin, step)}`;
}

export function parseDynamicCode(code: string): { pin: string; otp: string } | undefined {
  const m = DYNAMIC.exec(code);
  return m ? { pin: m[1], otp: m[2] } : undefined;
}

/** True when `otp` is the code of a step within ±QR_SKEW_STEPS of `step`. */
export function otpMatches(personSecret: Buffer, pin: string, otp: string, step: number): boolean {
  let ok = false;
  for (let s = step - QR_SKEW_STEPS; s <= step + QR_SKEW_STEPS; s++) {
    const expected = Buffer.from(dynamicOtp(personSecret, pin, s));
    ok = timingSafeEqual(expected, Buffer.from(otp.padEnd(DIGITS).slice(0, DIGITS))) || ok;
  }
  return ok;
}

export function newInvitationToken(): { code: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { code: `${INVITATION_QR_PREFIX}${token}`, hash: hashInvitationToken(token) };
}

export function parseInvitationCode(code: string): string | undefined {
  return INVITATION.exec(code)?.[1];
}

export function hashInvitationToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
