import {
  FrameFlag,
  FrameType,
  decodeFrames,
  encodeFrame,
  encodeGoAway,
  encodeJsonFrame,
  encodePing,
  encodeReset,
  encodeWindow,
  isDecodeError,
  parseGoAway,
  parseReset,
  utf8Truncate,
} from './codec';
import { TunnelErrorCode } from './errors';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const MAX = 256 * 1024;

// Byte-exact fixtures (SPEC.md §12). Each row: encoder output, and what decoding it yields.
const OPEN_JSON = '7b226d6574686f64223a22474554222c2270617468223a222f6865616c7468222c2268656164657273223a5b5d7d';
const HEAD_JSON = '7b22737461747573223a3230302c2268656164657273223a5b5d7d';
const MSG_JSON = '7b2274797065223a22636f6e666967222c2276223a317d';

const fixtures: { name: string; encoded: Buffer; hex: string; type: number; flags: number; streamId: number }[] = [
  {
    name: 'OPEN+FIN',
    encoded: encodeJsonFrame(FrameType.OPEN, FrameFlag.FIN, 2, { method: 'GET', path: '/health', headers: [] }),
    hex: `01 01 00000002 0000002e ${OPEN_JSON}`,
    type: 0x01,
    flags: 0x01,
    streamId: 2,
  },
  {
    name: 'HEAD',
    encoded: encodeJsonFrame(FrameType.HEAD, 0, 2, { status: 200, headers: [] }),
    hex: `02 00 00000002 0000001b ${HEAD_JSON}`,
    type: 0x02,
    flags: 0,
    streamId: 2,
  },
  {
    name: 'DATA+FIN',
    encoded: encodeFrame(FrameType.DATA, FrameFlag.FIN, 2, Buffer.from('ok')),
    hex: '03 01 00000002 00000002 6f6b',
    type: 0x03,
    flags: 0x01,
    streamId: 2,
  },
  {
    name: 'empty DATA+FIN',
    encoded: encodeFrame(FrameType.DATA, FrameFlag.FIN, 7),
    hex: '03 01 00000007 00000000',
    type: 0x03,
    flags: 0x01,
    streamId: 7,
  },
  {
    name: 'WINDOW',
    encoded: encodeWindow(2, 0x100000),
    hex: '04 00 00000002 00000004 00100000',
    type: 0x04,
    flags: 0,
    streamId: 2,
  },
  {
    name: 'RESET',
    encoded: encodeReset(4, 14, 'client'),
    hex: '05 00 00000004 00000008 000e 636c69656e74',
    type: 0x05,
    flags: 0,
    streamId: 4,
  },
  {
    name: 'PING',
    encoded: encodePing(hex('0000000000000001'), false),
    hex: '06 00 00000000 00000008 0000000000000001',
    type: 0x06,
    flags: 0,
    streamId: 0,
  },
  {
    name: 'PONG',
    encoded: encodePing(hex('0000000000000001'), true),
    hex: '06 02 00000000 00000008 0000000000000001',
    type: 0x06,
    flags: 0x02,
    streamId: 0,
  },
  {
    name: 'GOAWAY',
    encoded: encodeGoAway(7, 12, 'drain'),
    hex: '07 00 00000000 0000000b 00000007 000c 647261696e',
    type: 0x07,
    flags: 0,
    streamId: 0,
  },
  {
    name: 'MESSAGE',
    encoded: encodeJsonFrame(FrameType.MESSAGE, 0, 0, { type: 'config', v: 1 }),
    hex: `08 00 00000000 00000017 ${MSG_JSON}`,
    type: 0x08,
    flags: 0,
    streamId: 0,
  },
  {
    name: 'HELLO (empty object)',
    encoded: encodeJsonFrame(FrameType.HELLO, 0, 0, {}),
    hex: '10 00 00000000 00000002 7b7d',
    type: 0x10,
    flags: 0,
    streamId: 0,
  },
  {
    name: 'AUTH (empty object)',
    encoded: encodeJsonFrame(FrameType.AUTH, 0, 0, {}),
    hex: '11 00 00000000 00000002 7b7d',
    type: 0x11,
    flags: 0,
    streamId: 0,
  },
  {
    name: 'READY (empty object)',
    encoded: encodeJsonFrame(FrameType.READY, 0, 0, {}),
    hex: '12 00 00000000 00000002 7b7d',
    type: 0x12,
    flags: 0,
    streamId: 0,
  },
];

describe('codec', () => {
  describe.each(fixtures)('$name', (f) => {
    it('encodes byte-exact', () => {
      expect(f.encoded.toString('hex')).toBe(hex(f.hex).toString('hex'));
    });
    it('decodes to the same frame with a zero-copy payload', () => {
      const msg = hex(f.hex);
      const frames = decodeFrames(msg, MAX);
      if (isDecodeError(frames)) throw new Error(frames.message);
      expect(frames).toHaveLength(1);
      expect(frames[0].type).toBe(f.type);
      expect(frames[0].flags).toBe(f.flags);
      expect(frames[0].streamId).toBe(f.streamId);
      expect(frames[0].payload.buffer).toBe(msg.buffer);
      expect(frames[0].payload.byteOffset).toBe(msg.byteOffset + 10);
    });
  });

  it('decodes several frames in one message, in order', () => {
    const msg = Buffer.concat(fixtures.map((f) => hex(f.hex)));
    const frames = decodeFrames(msg, MAX);
    if (isDecodeError(frames)) throw new Error(frames.message);
    expect(frames.map((f) => f.type)).toEqual(fixtures.map((f) => f.type));
  });

  it('parses RESET and GOAWAY payloads', () => {
    expect(parseReset(hex('000e636c69656e74'))).toEqual({ resetNumber: 14, message: 'client' });
    expect(parseGoAway(hex('00000007000c647261696e'))).toEqual({ lastStreamId: 7, resetNumber: 12, reason: 'drain' });
  });

  it('caps RESET text at 256 bytes without splitting a character', () => {
    const f = encodeReset(1, 1, 'é'.repeat(200));
    expect(f.readUInt32BE(6)).toBe(2 + 256);
    expect(utf8Truncate('aé', 2).toString()).toBe('a');
  });

  const bad: [string, string, TunnelErrorCode][] = [
    ['truncated header', '03 00 000000', TunnelErrorCode.PROTOCOL],
    ['truncated payload', '03 00 00000001 00000004 6f6b', TunnelErrorCode.PROTOCOL],
    ['unknown type', '09 00 00000000 00000000', TunnelErrorCode.PROTOCOL],
    ['too large', '03 00 00000001 00040001', TunnelErrorCode.FRAME_TOO_LARGE],
    ['WINDOW of 3 bytes', '04 00 00000001 00000003 000001', TunnelErrorCode.PROTOCOL],
    ['PING of 4 bytes', '06 00 00000000 00000004 00000001', TunnelErrorCode.PROTOCOL],
    ['RESET of 1 byte', '05 00 00000001 00000001 00', TunnelErrorCode.PROTOCOL],
    ['GOAWAY of 5 bytes', '07 00 00000000 00000005 0000000000', TunnelErrorCode.PROTOCOL],
  ];
  it.each(bad)('reports %s as a typed error, without throwing', (_name, h, code) => {
    const result = decodeFrames(hex(h), MAX);
    expect(isDecodeError(result)).toBe(true);
    if (isDecodeError(result)) expect(result.code).toBe(code);
  });

  it('reports where the bad frame starts', () => {
    const result = decodeFrames(hex('03 00 00000001 00000000  09 00 00000000 00000000'), MAX);
    expect(isDecodeError(result) && result.offset).toBe(10);
  });
});
