import { randomBytes } from 'node:crypto';
import {
  dynamicCode,
  hashInvitationToken,
  newInvitationToken,
  otpMatches,
  parseDynamicCode,
  parseInvitationCode,
  personQrSecret,
  qrStep,
} from './qr-codes';

describe('QR codes', () => {
  const site = randomBytes(32);
  const secret = personQrSecret(site, 'person-1');

  it('accepts the current step ± 1 and nothing further', () => {
    const step = qrStep(Date.UTC(2026, 0, 1, 12, 0, 0));
    const { pin, otp } = parseDynamicCode(dynamicCode(secret, '7001', step))!;
    expect(pin).toBe('7001');
    expect([step - 1, step, step + 1].map((s) => otpMatches(secret, '7001', otp, s))).toEqual([true, true, true]);
    expect([step - 2, step + 2].map((s) => otpMatches(secret, '7001', otp, s))).toEqual([false, false]);
  });

  it('binds the code to the person and the pin', () => {
    const step = 123456;
    const { otp } = parseDynamicCode(dynamicCode(secret, '7001', step))!;
    expect(otpMatches(personQrSecret(site, 'person-2'), '7001', otp, step)).toBe(false);
    expect(otpMatches(secret, '7002', otp, step)).toBe(false);
  });

  it('parses only well-formed codes', () => {
    for (const bad of ['LBQ1.7001.1234567', 'LBQ1.70 01.12345678', 'LBQ2.7001.12345678', 'LBQ1..12345678']) {
      expect(parseDynamicCode(bad)).toBeUndefined();
    }
    const { code, hash } = newInvitationToken();
    const token = parseInvitationCode(code)!;
    expect(hashInvitationToken(token)).toBe(hash);
    expect(parseInvitationCode(`${code}x`)).toBeUndefined();
  });
});
