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

/**
 * The bytes of a `bytea` value as a Buffer: node-postgres returns a Buffer, PGlite a plain
 * Uint8Array (and a caller may hand either in); undefined for anything else.
 */
export function asBuffer(value: unknown): Buffer | undefined {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return undefined;
}

/** `bytea` column holding encrypted bytes; the entity sees a plaintext Buffer (or null). */
export const encryptedBytes: ValueTransformer = {
  to: (value: unknown): unknown => {
    if (value === undefined) return undefined;
    if (value === null) return null;
    const bytes = asBuffer(value);
    // Find operators (IsNull() etc.) pass through untouched; bytes are always sealed.
    return bytes ? fieldCipher().encryptBytes(bytes) : value;
  },
  from: (value: unknown): Buffer | null => {
    const bytes = asBuffer(value);
    return bytes ? fieldCipher().decryptBytes(bytes) : null;
  },
};

/** Plain `bytea` column: the entity always sees a Buffer (PGlite returns a Uint8Array). */
export const plainBytes: ValueTransformer = {
  to: (value: unknown): unknown => value,
  from: (value: unknown): Buffer | null => asBuffer(value) ?? null,
};
