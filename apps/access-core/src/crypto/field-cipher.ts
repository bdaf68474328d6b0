/**
 * Encryption at rest for sensitive personal fields: AES-256-GCM, a fresh random 96-bit nonce per
 * value, and the id of the key that sealed the value stored next to it so keys can be rotated
 * (new writes use the current key; old values stay readable while their key is listed).
 *
 * Text envelope (stored in a `text` column):   `enc1:<keyId>:<base64(nonce ‖ tag ‖ ciphertext)>`
 * Binary envelope (stored in a `bytea` column): `0xE1 ‖ keyId (8 ASCII bytes) ‖ nonce ‖ tag ‖ ciphertext`
 *
 * The key id is the first 8 hex digits of SHA-256(key): it identifies the key without
 * revealing it and needs no separate naming scheme.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const KEY_ID_CHARS = 8;
const TEXT_PREFIX = 'enc1:';
const BINARY_MAGIC = 0xe1;

export const FieldCipherErrorCode = {
  /** A key is not 32 bytes. */
  BAD_KEY: 'CRYPTO_BAD_KEY',
  /** The value was sealed by a key that is not configured (rotated away without re-encryption). */
  UNKNOWN_KEY: 'CRYPTO_UNKNOWN_KEY',
  /** The envelope is malformed or the tag does not verify (tampered or wrong key). */
  CORRUPT: 'CRYPTO_CORRUPT',
  /** The cipher was used before `installFieldCipher` ran (a boot-order bug). */
  NOT_CONFIGURED: 'CRYPTO_NOT_CONFIGURED',
} as const;
export type FieldCipherErrorCode = (typeof FieldCipherErrorCode)[keyof typeof FieldCipherErrorCode];

export class FieldCipherError extends Error {
  constructor(
    readonly code: FieldCipherErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'FieldCipherError';
  }
}

export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, KEY_ID_CHARS);
}

export class FieldCipher {
  private readonly current: { id: string; key: Buffer };
  private readonly keys = new Map<string, Buffer>();

  /** `current` seals new values; `previous` keys only open old ones. */
  constructor(current: Buffer, previous: readonly Buffer[] = []) {
    for (const k of [current, ...previous]) {
      if (k.length !== KEY_BYTES) {
        throw new FieldCipherError(FieldCipherErrorCode.BAD_KEY, `encryption keys must be ${KEY_BYTES} bytes`);
      }
      this.keys.set(keyId(k), k);
    }
    this.current = { id: keyId(current), key: current };
  }

  get currentKeyId(): string {
    return this.current.id;
  }

  private seal(plain: Buffer): { nonce: Buffer; tag: Buffer; body: Buffer } {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, nonce);
    // The key id is authenticated, so a value cannot be re-labelled to another key.
    cipher.setAAD(Buffer.from(this.current.id, 'ascii'));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return { nonce, tag: cipher.getAuthTag(), body };
  }

  private open(id: string, packed: Buffer): Buffer {
    const key = this.keys.get(id);
    if (!key) throw new FieldCipherError(FieldCipherErrorCode.UNKNOWN_KEY, `no key with id ${id} is configured`);
    if (packed.length < NONCE_BYTES + TAG_BYTES) {
      throw new FieldCipherError(FieldCipherErrorCode.CORRUPT, 'encrypted value is truncated');
    }
    const nonce = packed.subarray(0, NONCE_BYTES);
    const tag = packed.subarray(NONCE_BYTES, NONCE_BYTES + TAG_BYTES);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, nonce);
      decipher.setAAD(Buffer.from(id, 'ascii'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(packed.subarray(NONCE_BYTES + TAG_BYTES)), decipher.final()]);
    } catch (err) {
      throw new FieldCipherError(FieldCipherErrorCode.CORRUPT, 'encrypted value does not verify', { cause: err });
    }
  }

  encryptText(plain: string): string {
    const { nonce, tag, body } = this.seal(Buffer.from(plain, 'utf8'));
    return `${TEXT_PREFIX}${this.current.id}:${Buffer.concat([nonce, tag, body]).toString('base64')}`;
  }

  decryptText(stored: string): string {
    if (!stored.startsWith(TEXT_PREFIX)) {
      throw new FieldCipherError(FieldCipherErrorCode.CORRUPT, 'value is not an encryption envelope');
    }
    const rest = stored.slice(TEXT_PREFIX.length);
    const sep = rest.indexOf(':');
    if (sep !== KEY_ID_CHARS) throw new FieldCipherError(FieldCipherErrorCode.CORRUPT, 'bad envelope key id');
    return this.open(rest.slice(0, sep), Buffer.from(rest.slice(sep + 1), 'base64')).toString('utf8');
  }

  encryptBytes(plain: Buffer): Buffer {
    const { nonce, tag, body } = this.seal(plain);
    return Buffer.concat([Buffer.from([BINARY_MAGIC]), Buffer.from(this.current.id, 'ascii'), nonce, tag, body]);
  }

  decryptBytes(stored: Buffer): Buffer {
    if (stored.length < 1 + KEY_ID_CHARS || stored[0] !== BINARY_MAGIC) {
      throw new FieldCipherError(FieldCipherErrorCode.CORRUPT, 'value is not an encryption envelope');
    }
    const id = stored.subarray(1, 1 + KEY_ID_CHARS).toString('ascii');
    return this.open(id, stored.subarray(1 + KEY_ID_CHARS));
  }

  /** The key id a stored value was sealed with (for re-encryption jobs), or undefined. */
  static keyIdOf(stored: string | Buffer): string | undefined {
    if (typeof stored === 'string') {
      return stored.startsWith(TEXT_PREFIX)
        ? stored.slice(TEXT_PREFIX.length, TEXT_PREFIX.length + KEY_ID_CHARS)
        : undefined;
    }
    return stored[0] === BINARY_MAGIC ? stored.subarray(1, 1 + KEY_ID_CHARS).toString('ascii') : undefined;
  }
}

/**
 * TypeORM column transformers are created when entity classes load, long before config exists,
 * so they reach the cipher through this process-wide slot that `installFieldCipher` fills at
 * boot (data-source.factory.ts). Every access-core instance in one process uses the same keys.
 */
let installed: FieldCipher | undefined;

export function installFieldCipher(cipher: FieldCipher): void {
  installed = cipher;
}

export function fieldCipher(): FieldCipher {
  if (!installed) {
    throw new FieldCipherError(FieldCipherErrorCode.NOT_CONFIGURED, 'field encryption used before it was configured');
  }
  return installed;
}
