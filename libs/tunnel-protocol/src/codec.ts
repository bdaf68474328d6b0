/**
 * Frame codec (SPEC.md §2–§4). Encoding allocates exactly one buffer per frame; decoding walks
 * one transport message and hands out payloads as zero-copy subarrays of it. Nothing here throws
 * on peer input: the decoder reports a typed `DecodeError` instead.
 */
import { TunnelErrorCode } from './errors';

/** Bytes in a frame header: type u8 | flags u8 | streamId u32 | length u32. */
export const HEADER_SIZE = 10;
/** Largest UTF-8 message carried by RESET and GOAWAY. */
export const MAX_REASON_BYTES = 256;
/** Largest credit a stream may hold (2³¹−1). */
export const MAX_WINDOW = 0x7fffffff;

export const FrameType = {
  OPEN: 0x01,
  HEAD: 0x02,
  DATA: 0x03,
  WINDOW: 0x04,
  RESET: 0x05,
  PING: 0x06,
  GOAWAY: 0x07,
  MESSAGE: 0x08,
  HELLO: 0x10,
  AUTH: 0x11,
  READY: 0x12,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export const FrameFlag = {
  /** OPEN, HEAD, DATA: the sender sends no more data on this stream. */
  FIN: 0x01,
  /** PING: this is the answer. */
  ACK: 0x02,
} as const;

export const FRAME_TYPE_NAMES: Readonly<Record<number, string>> = {
  0x01: 'OPEN',
  0x02: 'HEAD',
  0x03: 'DATA',
  0x04: 'WINDOW',
  0x05: 'RESET',
  0x06: 'PING',
  0x07: 'GOAWAY',
  0x08: 'MESSAGE',
  0x10: 'HELLO',
  0x11: 'AUTH',
  0x12: 'READY',
};

export interface Frame {
  readonly type: FrameType;
  readonly flags: number;
  readonly streamId: number;
  /** Subarray of the message: valid as long as the message buffer is. */
  readonly payload: Buffer;
}

/** Why a message could not be decoded. `offset` is where the bad frame starts. */
export interface DecodeError {
  readonly code: TunnelErrorCode;
  readonly message: string;
  readonly offset: number;
}

const EMPTY = Buffer.alloc(0);

export function writeHeader(
  target: Buffer,
  offset: number,
  type: number,
  flags: number,
  streamId: number,
  length: number,
): void {
  target[offset] = type;
  target[offset + 1] = flags;
  target.writeUInt32BE(streamId, offset + 2);
  target.writeUInt32BE(length, offset + 6);
}

/** One whole frame: header + payload in one buffer. */
export function encodeFrame(type: number, flags: number, streamId: number, payload: Buffer = EMPTY): Buffer {
  const out = Buffer.allocUnsafe(HEADER_SIZE + payload.length);
  writeHeader(out, 0, type, flags, streamId, payload.length);
  payload.copy(out, HEADER_SIZE);
  return out;
}

export function encodeJsonFrame(type: number, flags: number, streamId: number, value: unknown): Buffer {
  return encodeFrame(type, flags, streamId, Buffer.from(JSON.stringify(value), 'utf8'));
}

export function encodeWindow(streamId: number, increment: number): Buffer {
  const out = Buffer.allocUnsafe(HEADER_SIZE + 4);
  writeHeader(out, 0, FrameType.WINDOW, 0, streamId, 4);
  out.writeUInt32BE(increment, HEADER_SIZE);
  return out;
}

/** Cut a UTF-8 string to at most `max` bytes without splitting a character. */
export function utf8Truncate(text: string, max: number): Buffer {
  const b = Buffer.from(text, 'utf8');
  if (b.length <= max) return b;
  let end = max;
  while (end > 0 && (b[end] & 0xc0) === 0x80) end--;
  return b.subarray(0, end);
}

export function encodeReset(streamId: number, resetNumber: number, message = ''): Buffer {
  const m = utf8Truncate(message, MAX_REASON_BYTES);
  const out = Buffer.allocUnsafe(HEADER_SIZE + 2 + m.length);
  writeHeader(out, 0, FrameType.RESET, 0, streamId, 2 + m.length);
  out.writeUInt16BE(resetNumber, HEADER_SIZE);
  m.copy(out, HEADER_SIZE + 2);
  return out;
}

export function encodePing(payload: Buffer, ack: boolean): Buffer {
  return encodeFrame(FrameType.PING, ack ? FrameFlag.ACK : 0, 0, payload);
}

export function encodeGoAway(lastStreamId: number, resetNumber: number, reason = ''): Buffer {
  const r = utf8Truncate(reason, MAX_REASON_BYTES);
  const out = Buffer.allocUnsafe(HEADER_SIZE + 6 + r.length);
  writeHeader(out, 0, FrameType.GOAWAY, 0, 0, 6 + r.length);
  out.writeUInt32BE(lastStreamId, HEADER_SIZE);
  out.writeUInt16BE(resetNumber, HEADER_SIZE + 4);
  r.copy(out, HEADER_SIZE + 6);
  return out;
}

/** RESET payload → number + message. Length was checked by the decoder. */
export function parseReset(payload: Buffer): { resetNumber: number; message: string } {
  return { resetNumber: payload.readUInt16BE(0), message: payload.toString('utf8', 2) };
}

export function parseGoAway(payload: Buffer): { lastStreamId: number; resetNumber: number; reason: string } {
  return {
    lastStreamId: payload.readUInt32BE(0),
    resetNumber: payload.readUInt16BE(4),
    reason: payload.toString('utf8', 6),
  };
}

/** Payload size rule per type: [min, max] (max undefined = up to maxFramePayload). */
function sizeProblem(type: number, length: number): string | undefined {
  switch (type) {
    case FrameType.WINDOW:
      return length === 4 ? undefined : 'WINDOW payload must be 4 bytes';
    case FrameType.PING:
      return length === 8 ? undefined : 'PING payload must be 8 bytes';
    case FrameType.RESET:
      return length >= 2 && length <= 2 + MAX_REASON_BYTES ? undefined : 'RESET payload must be 2..258 bytes';
    case FrameType.GOAWAY:
      return length >= 6 && length <= 6 + MAX_REASON_BYTES ? undefined : 'GOAWAY payload must be 6..262 bytes';
    default:
      return undefined;
  }
}

/**
 * Walks the frames of one message without copying. Usage:
 * `const r = new FrameReader(msg, max); while (r.next()) use(r.type, r.flags, r.streamId, r.payload); if (r.error) …`
 * The fields describe the current frame and are overwritten by the next call to `next()`.
 */
export class FrameReader {
  type: FrameType = FrameType.DATA;
  flags = 0;
  streamId = 0;
  payload: Buffer = EMPTY;
  /** Set when `next()` returned false because the message is malformed. */
  error: DecodeError | undefined;
  private offset = 0;

  constructor(
    private readonly message: Buffer,
    private readonly maxFramePayload: number,
  ) {}

  next(): boolean {
    const m = this.message;
    const at = this.offset;
    if (this.error || at >= m.length) return false;
    if (m.length - at < HEADER_SIZE) {
      return this.fail(TunnelErrorCode.PROTOCOL, `truncated frame header (${m.length - at} bytes)`, at);
    }
    const type = m[at];
    const length = m.readUInt32BE(at + 6);
    if (FRAME_TYPE_NAMES[type] === undefined) {
      return this.fail(TunnelErrorCode.PROTOCOL, `unknown frame type 0x${type.toString(16)}`, at);
    }
    if (length > this.maxFramePayload) {
      return this.fail(
        TunnelErrorCode.FRAME_TOO_LARGE,
        `frame payload ${length} exceeds maxFramePayload ${this.maxFramePayload}`,
        at,
      );
    }
    if (m.length - at - HEADER_SIZE < length) {
      return this.fail(TunnelErrorCode.PROTOCOL, 'truncated frame payload', at);
    }
    const problem = sizeProblem(type, length);
    if (problem) return this.fail(TunnelErrorCode.PROTOCOL, problem, at);
    this.type = type as FrameType;
    this.flags = m[at + 1];
    this.streamId = m.readUInt32BE(at + 2);
    this.payload = m.subarray(at + HEADER_SIZE, at + HEADER_SIZE + length);
    this.offset = at + HEADER_SIZE + length;
    return true;
  }

  private fail(code: TunnelErrorCode, message: string, offset: number): false {
    this.error = { code, message, offset };
    return false;
  }
}

/** Convenience: every frame of a message, or the first decode error. Never throws. */
export function decodeFrames(message: Buffer, maxFramePayload: number): Frame[] | DecodeError {
  const r = new FrameReader(message, maxFramePayload);
  const frames: Frame[] = [];
  while (r.next()) frames.push({ type: r.type, flags: r.flags, streamId: r.streamId, payload: r.payload });
  return r.error ?? frames;
}

export function isDecodeError(v: Frame[] | DecodeError): v is DecodeError {
  return !Array.isArray(v);
}
