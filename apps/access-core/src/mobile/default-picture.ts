import { AccessCoreErrorCode, AccessCoreException } from '../http/access-core.exception';

export interface Picture {
  readonly contentType: string;
  readonly bytes: Buffer;
}

/** Shown for events without a captured picture: a neutral camera-off glyph. */
export const DEFAULT_PICTURE: Picture = {
  contentType: 'image/svg+xml',
  bytes: Buffer.from(
    '<svg xmlns="http://www.w3.org/2000/svg" width="160" height="120" viewBox="0 0 160 120">' +
      '<rect width="160" height="120" fill="#e5e7eb"/>' +
      '<rect x="50" y="40" width="60" height="42" rx="6" fill="none" stroke="#9ca3af" stroke-width="4"/>' +
      '<circle cx="80" cy="61" r="12" fill="none" stroke="#9ca3af" stroke-width="4"/>' +
      '<line x1="40" y1="95" x2="120" y2="25" stroke="#9ca3af" stroke-width="4"/></svg>',
  ),
};

export function sniffImageType(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'image/jpeg';
  if (bytes[0] === 0x89 && bytes[1] === 0x50) return 'image/png';
  return 'application/octet-stream';
}

/** The bytes of a base64 photo field, or null when absent; VALIDATION_FAILED unless JPEG/PNG ≤ maxBytes. */
export function decodePhoto(field: string, b64: string | undefined | null, maxBytes: number): Buffer | null {
  if (b64 === undefined || b64 === null) return null;
  const bytes = Buffer.from(b64, 'base64');
  const problem =
    bytes.length > maxBytes
      ? `must be at most ${maxBytes} bytes`
      : sniffImageType(bytes) === 'application/octet-stream'
        ? 'must be a JPEG or PNG image'
        : undefined;
  if (problem) {
    throw new AccessCoreException(AccessCoreErrorCode.VALIDATION_FAILED, `${field} ${problem}`, [
      { field, problems: [problem] },
    ]);
  }
  return bytes;
}
