import type { ValueTransformer } from 'typeorm';
import { fieldCipher } from './field-cipher';

/** `text` column holding an encrypted string; the entity sees plaintext (or null). */
export const encryptedText: ValueTransformer = {
  to: (value: unknown): unknown => {
    if (value === undefined) return undefined;
    if (value === null) return null;
    // Find operators (IsNull() etc.) pass through untouched; anything else must be a string.
    if (typeof value !== 'string') return value;
    return fieldCipher().encryptText(value);
  },
  from: (value: unknown): string | null => (typeof value === 'string' ? fieldCipher().decryptText(value) : null),
};

/** `bytea` column holding encrypted bytes; the entity sees a plaintext Buffer (or null). */
export const encryptedBytes: ValueTransformer = {
  to: (value: unknown): unknown => {
    if (value === undefined) return undefined;
    if (value === null) return null;
    if (!Buffer.isBuffer(value)) return value;
    return fieldCipher().encryptBytes(value);
  },
  from: (value: unknown): Buffer | null => (Buffer.isBuffer(value) ? fieldCipher().decryptBytes(value) : null),
};
