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
