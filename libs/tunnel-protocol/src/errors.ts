/**
 * Stable tunnel error codes. SPEC.md §"Error codes" is the table of record; keep both in step.
 *
 * - `wsClose`: the WebSocket close code used when the error ends the whole tunnel.
 * - `reset`: the u16 carried in a RESET frame when the error ends one stream only.
 */
export const TunnelErrorCode = {
  /** Malformed frame, unknown frame type, frame on a stream in the wrong state. */
  PROTOCOL: 'TUNNEL_ERR_PROTOCOL',
  /** A frame larger than the negotiated maximum. */
  FRAME_TOO_LARGE: 'TUNNEL_ERR_FRAME_TOO_LARGE',
  /** A stream or request head larger than maxHeaderBytes. */
  HEADER_TOO_LARGE: 'TUNNEL_ERR_HEADER_TOO_LARGE',
  /** The peer sent more DATA than the window it was granted. */
  FLOW_CONTROL: 'TUNNEL_ERR_FLOW_CONTROL',
  /** The peer opened more concurrent streams than maxConcurrentStreams. */
  STREAM_LIMIT: 'TUNNEL_ERR_STREAM_LIMIT',
  /** No common protocol version. */
  VERSION: 'TUNNEL_ERR_VERSION',
  /** Unknown connector, wrong key, bad signature. */
  AUTH_FAILED: 'TUNNEL_ERR_AUTH_FAILED',
  /** Challenge answer stale, replayed, or for another nonce. */
  AUTH_STALE: 'TUNNEL_ERR_AUTH_STALE',
  /** The connector was deactivated / its key revoked. */
  REVOKED: 'TUNNEL_ERR_REVOKED',
  /** Handshake or ping not answered in time (dead peer). */
  TIMEOUT: 'TUNNEL_ERR_TIMEOUT',
  /** A newer session of the same connector took over. */
  REPLACED: 'TUNNEL_ERR_REPLACED',
  /** The peer is draining (GOAWAY): no new streams. */
  GOING_AWAY: 'TUNNEL_ERR_GOING_AWAY',
  /** The stream was refused (e.g. opened while draining, or over the limit). */
  STREAM_REFUSED: 'TUNNEL_ERR_STREAM_REFUSED',
  /** The opener cancelled the stream (client went away). */
  CANCELLED: 'TUNNEL_ERR_CANCELLED',
  /** The connector could not reach the local application. */
  UPSTREAM_UNREACHABLE: 'TUNNEL_ERR_UPSTREAM_UNREACHABLE',
  /** The local application did not answer in time. */
  UPSTREAM_TIMEOUT: 'TUNNEL_ERR_UPSTREAM_TIMEOUT',
  /** The transport went away under the stream. */
  CONNECTION_LOST: 'TUNNEL_ERR_CONNECTION_LOST',
  /** A bug or an unexpected condition; details are logged, never sent. */
  INTERNAL: 'TUNNEL_ERR_INTERNAL',
  /** The site behind the connector belongs to another organisation that still has an active connector. */
  SITE_CLAIMED: 'TUNNEL_ERR_SITE_CLAIMED',
} as const;
export type TunnelErrorCode = (typeof TunnelErrorCode)[keyof typeof TunnelErrorCode];

interface CodeInfo {
  readonly wsClose: number;
  readonly reset: number;
}

/** Exhaustive mapping; the compiler refuses a code without an entry. */
export const TUNNEL_ERROR_TABLE: { readonly [K in TunnelErrorCode]: CodeInfo } = {
  TUNNEL_ERR_PROTOCOL: { wsClose: 4400, reset: 1 },
  TUNNEL_ERR_FRAME_TOO_LARGE: { wsClose: 4413, reset: 2 },
  TUNNEL_ERR_HEADER_TOO_LARGE: { wsClose: 4431, reset: 3 },
  TUNNEL_ERR_FLOW_CONTROL: { wsClose: 4409, reset: 4 },
  TUNNEL_ERR_STREAM_LIMIT: { wsClose: 4429, reset: 5 },
  TUNNEL_ERR_VERSION: { wsClose: 4426, reset: 6 },
  TUNNEL_ERR_AUTH_FAILED: { wsClose: 4401, reset: 7 },
  TUNNEL_ERR_AUTH_STALE: { wsClose: 4403, reset: 8 },
  TUNNEL_ERR_REVOKED: { wsClose: 4410, reset: 9 },
  TUNNEL_ERR_TIMEOUT: { wsClose: 4408, reset: 10 },
  TUNNEL_ERR_REPLACED: { wsClose: 4000, reset: 11 },
  TUNNEL_ERR_GOING_AWAY: { wsClose: 1001, reset: 12 },
  TUNNEL_ERR_STREAM_REFUSED: { wsClose: 4503, reset: 13 },
  TUNNEL_ERR_CANCELLED: { wsClose: 4499, reset: 14 },
  TUNNEL_ERR_UPSTREAM_UNREACHABLE: { wsClose: 4502, reset: 15 },
  TUNNEL_ERR_UPSTREAM_TIMEOUT: { wsClose: 4504, reset: 16 },
  TUNNEL_ERR_CONNECTION_LOST: { wsClose: 1006, reset: 17 },
  TUNNEL_ERR_INTERNAL: { wsClose: 1011, reset: 18 },
  TUNNEL_ERR_SITE_CLAIMED: { wsClose: 4423, reset: 19 },
};

const BY_RESET = new Map<number, TunnelErrorCode>(
  (Object.keys(TUNNEL_ERROR_TABLE) as TunnelErrorCode[]).map((c) => [TUNNEL_ERROR_TABLE[c].reset, c]),
);
const BY_CLOSE = new Map<number, TunnelErrorCode>(
  (Object.keys(TUNNEL_ERROR_TABLE) as TunnelErrorCode[]).map((c) => [TUNNEL_ERROR_TABLE[c].wsClose, c]),
);

/** Code for a RESET frame's u16; unknown numbers map to PROTOCOL-free INTERNAL so nothing throws. */
export function codeFromReset(n: number): TunnelErrorCode {
  return BY_RESET.get(n) ?? TunnelErrorCode.INTERNAL;
}

/** Code for a WebSocket close code, or undefined for a plain close (1000) and unknown codes. */
export function codeFromClose(n: number): TunnelErrorCode | undefined {
  return BY_CLOSE.get(n);
}

export class TunnelError extends Error {
  constructor(
    readonly code: TunnelErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TunnelError';
  }
  get wsCloseCode(): number {
    return TUNNEL_ERROR_TABLE[this.code].wsClose;
  }
  get resetCode(): number {
    return TUNNEL_ERROR_TABLE[this.code].reset;
  }
}

/** Close codes that may not appear in a close frame (RFC 6455 §7.4.1); sent as 1011 instead. */
const UNSENDABLE_CLOSE = new Set([1004, 1005, 1006, 1015]);

/** The close code to put on the wire for `code` (CONNECTION_LOST's 1006 cannot be sent: 1011). */
export function wireCloseCode(code: TunnelErrorCode): number {
  const n = TUNNEL_ERROR_TABLE[code].wsClose;
  return UNSENDABLE_CLOSE.has(n) ? 1011 : n;
}

/** True when `s` is one of the TUNNEL_ERR_* code strings. */
export function isTunnelErrorCode(s: unknown): s is TunnelErrorCode {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(TUNNEL_ERROR_TABLE, s);
}

/**
 * The error code a received close means: the reason when it is a TUNNEL_ERR_* string, else the
 * close code's entry (1001 → GOING_AWAY, 1006 → CONNECTION_LOST); undefined for 1000 and unknown codes.
 */
export function codeFromCloseFrame(code: number, reason: string): TunnelErrorCode | undefined {
  if (isTunnelErrorCode(reason)) return reason;
  if (code === 1000) return undefined;
  return codeFromClose(code);
}
