import { randomBytes } from 'node:crypto';
import { FieldCipher, FieldCipherErrorCode } from './field-cipher';

describe('FieldCipher', () => {
  const key = randomBytes(32);
  const cipher = new FieldCipher(key);

  it('round-trips text and bytes with a fresh nonce each time', () => {
    const a = cipher.encryptText('ID-123456');
    const b = cipher.encryptText('ID-123456');
    expect(a).not.toBe(b);
    expect(a).toMatch(new RegExp(`^enc1:${cipher.currentKeyId}:`));
    expect(a).not.toContain('123456');
    expect(cipher.decryptText(a)).toBe('ID-123456');
    const photo = randomBytes(100);
    expect(cipher.decryptBytes(cipher.encryptBytes(photo)).equals(photo)).toBe(true);
  });

  it('opens values sealed by a retired key after rotation, and seals with the new one', () => {
    const old = cipher.encryptText('555-0100');
    const rotated = new FieldCipher(randomBytes(32), [key]);
    expect(rotated.decryptText(old)).toBe('555-0100');
    expect(FieldCipher.keyIdOf(rotated.encryptText('x'))).toBe(rotated.currentKeyId);
    expect(() => new FieldCipher(randomBytes(32)).decryptText(old)).toThrow(
      expect.objectContaining({ code: FieldCipherErrorCode.UNKNOWN_KEY }),
    );
  });

  it('refuses tampered, truncated or foreign values and bad keys', () => {
    const sealed = cipher.encryptBytes(Buffer.from('secret'));
    sealed[sealed.length - 1] ^= 1;
    expect(() => cipher.decryptBytes(sealed)).toThrow(expect.objectContaining({ code: FieldCipherErrorCode.CORRUPT }));
    expect(() => cipher.decryptText('plain')).toThrow(expect.objectContaining({ code: FieldCipherErrorCode.CORRUPT }));
    expect(() => cipher.decryptText(`enc1:${cipher.currentKeyId}:AAAA`)).toThrow(
      expect.objectContaining({ code: FieldCipherErrorCode.CORRUPT }),
    );
    expect(() => new FieldCipher(randomBytes(16))).toThrow(
      expect.objectContaining({ code: FieldCipherErrorCode.BAD_KEY }),
    );
  });
});
