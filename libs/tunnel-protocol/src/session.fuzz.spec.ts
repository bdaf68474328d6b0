import fc from 'fast-check';
import type { MessageTransport, TunnelSession } from './api';
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
} from './codec';
import { type TunnelError, isTunnelErrorCode } from './errors';
import { createSession } from './session';

/** A transport whose incoming messages the test delivers synchronously. */
function fakeTransport(): MessageTransport & { deliver(m: Buffer): void; sent: Buffer[] } {
  let handler: ((m: Buffer) => void) | undefined;
  const sent: Buffer[] = [];
  return {
    sent,
    bufferedAmount: 0,
    send: (m) => void sent.push(m),
    close: () => undefined,
    terminate: () => undefined,
    onMessage: (h) => {
      handler = h;
    },
    onClose: () => undefined,
    onDrain: () => undefined,
    deliver: (m) => handler?.(m),
  };
}

function harness(role: 'broker' | 'connector'): {
  t: ReturnType<typeof fakeTransport>;
  session: TunnelSession;
  result(): { state: string; error: TunnelError | undefined; closedEvents: number };
} {
  const t = fakeTransport();
  const session = createSession(t, role, {
    config: { maxFramePayload: 1024, maxHeaderBytes: 512, maxMessageBytes: 8192, initialStreamWindow: 2048 },
  });
  let error: TunnelError | undefined;
  let closedEvents = 0;
  session.on('close', (e) => {
    error = e;
    closedEvents++;
  });
  session.on('stream', (s) => {
    s.on('data', () => undefined);
    s.on('error', () => undefined);
    if (s.requestHead.path.length % 2 === 0) {
      s.sendResponseHead({ status: 200, headers: [] });
      s.write('x');
    }
  });
  return { t, session, result: () => ({ state: session.state, error, closedEvents }) };
}

function expectSane(r: { state: string; error: TunnelError | undefined; closedEvents: number }): void {
  expect(['open', 'closed']).toContain(r.state);
  expect(r.closedEvents).toBe(r.state === 'closed' ? 1 : 0);
  if (r.state === 'closed') expect(isTunnelErrorCode(r.error?.code)).toBe(true);
}

const validFrames = (): Buffer[] => [
  encodeJsonFrame(FrameType.OPEN, 0, 1, { method: 'GET', path: '/a', headers: ['h', 'v'] }),
  encodeFrame(FrameType.DATA, 0, 1, Buffer.from('body')),
  encodeWindow(1, 100),
  encodeJsonFrame(FrameType.OPEN, FrameFlag.FIN, 3, { method: 'GET', path: '/bb', headers: [] }),
  encodeFrame(FrameType.DATA, FrameFlag.FIN, 1),
  encodePing(Buffer.alloc(8, 1), false),
  encodeJsonFrame(FrameType.MESSAGE, 0, 0, { type: 'x' }),
  encodeReset(3, 14, 'bye'),
  encodeGoAway(0, 12, 'later'),
];

describe('session fuzz', () => {
  afterEach(() => jest.useRealTimers());

  it('random messages never throw and end open or closed with a TUNNEL_ERR code', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 0, maxLength: 300 }), { maxLength: 8 }), (messages) => {
        const h = harness('broker');
        for (const m of messages) expect(() => h.t.deliver(Buffer.from(m))).not.toThrow();
        expectSane(h.result());
        h.session.close();
      }),
      { numRuns: 300 },
    );
  });

  it('mutated valid frame sequences never throw', () => {
    const all = Buffer.concat(validFrames());
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(all.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 4 }),
        (mutations, split) => {
          const msg = Buffer.from(all);
          for (const [at, v] of mutations) msg[at] = v;
          const h = harness('broker');
          // Deliver in `split` pieces along frame-ish boundaries to vary coalescing.
          const step = Math.ceil(msg.length / split);
          for (let i = 0; i < msg.length; i += step) {
            expect(() => h.t.deliver(msg.subarray(i, i + step))).not.toThrow();
          }
          expectSane(h.result());
          h.session.close();
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a valid sequence keeps the session open', () => {
    const h = harness('broker');
    for (const f of validFrames()) h.t.deliver(f);
    expect(h.result()).toEqual({ state: 'open', error: undefined, closedEvents: 0 });
    h.session.close();
  });

  it('the decoder never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 0, max: 100 }), (bytes, max) => {
        expect(() => decodeFrames(Buffer.from(bytes), max)).not.toThrow();
      }),
      { numRuns: 2000 },
    );
  });

  const fatal: { name: string; frames: Buffer[]; code: string }[] = [
    {
      name: 'DATA beyond the window',
      frames: [
        encodeJsonFrame(FrameType.OPEN, 0, 1, { method: 'G', path: '/', headers: [] }),
        encodeFrame(FrameType.DATA, 0, 1, Buffer.alloc(1024)),
        encodeFrame(FrameType.DATA, 0, 1, Buffer.alloc(1024)),
        encodeFrame(FrameType.DATA, 0, 1, Buffer.alloc(1)),
      ],
      code: 'TUNNEL_ERR_FLOW_CONTROL',
    },
    {
      name: 'wrong parity OPEN',
      frames: [encodeJsonFrame(FrameType.OPEN, 0, 2, { method: 'G', path: '/', headers: [] })],
      code: 'TUNNEL_ERR_PROTOCOL',
    },
    {
      name: 'non-increasing OPEN',
      frames: [
        encodeJsonFrame(FrameType.OPEN, 0, 5, { method: 'G', path: '/', headers: [] }),
        encodeJsonFrame(FrameType.OPEN, 0, 3, { method: 'G', path: '/', headers: [] }),
      ],
      code: 'TUNNEL_ERR_PROTOCOL',
    },
    {
      name: 'DATA on stream 0',
      frames: [encodeFrame(FrameType.DATA, 0, 0, Buffer.from('x'))],
      code: 'TUNNEL_ERR_PROTOCOL',
    },
    {
      name: 'PING on stream 1',
      frames: [encodeFrame(FrameType.PING, 0, 1, Buffer.alloc(8))],
      code: 'TUNNEL_ERR_PROTOCOL',
    },
    {
      name: 'DATA for a never-opened stream',
      frames: [encodeFrame(FrameType.DATA, 0, 9, Buffer.from('x'))],
      code: 'TUNNEL_ERR_PROTOCOL',
    },
    {
      name: 'frame over maxFramePayload',
      frames: [encodeFrame(FrameType.DATA, 0, 1, Buffer.alloc(1025))],
      code: 'TUNNEL_ERR_FRAME_TOO_LARGE',
    },
    { name: 'message over maxMessageBytes', frames: [Buffer.alloc(9000)], code: 'TUNNEL_ERR_FRAME_TOO_LARGE' },
    {
      name: 'HELLO after the handshake',
      frames: [encodeJsonFrame(FrameType.HELLO, 0, 0, {})],
      code: 'TUNNEL_ERR_PROTOCOL',
    },
    { name: 'unknown frame type', frames: [Buffer.from('0900000000000000000000', 'hex')], code: 'TUNNEL_ERR_PROTOCOL' },
  ];
  it.each(fatal)('$name closes the session with $code', ({ frames, code }) => {
    const h = harness('broker');
    for (const f of frames) h.t.deliver(f);
    expect(h.result().error?.code).toBe(code);
  });

  it('confines stream errors to the stream (oversized head → RESET HEADER_TOO_LARGE)', () => {
    const h = harness('broker');
    h.t.deliver(encodeJsonFrame(FrameType.OPEN, 0, 1, { method: 'G', path: '/', headers: ['x', 'y'.repeat(600)] }));
    h.t.deliver(encodeFrame(FrameType.DATA, 0, 1, Buffer.from('ignored: stream already refused')));
    expect(h.session.state).toBe('open');
    return new Promise<void>((resolve) =>
      // Frames leave once per event-loop turn (setImmediate).
      setImmediate(() => {
        const frames = decodeFrames(Buffer.concat(h.t.sent), 1 << 20);
        expect(frames).toEqual([expect.objectContaining({ type: FrameType.RESET, streamId: 1 })]);
        h.session.close();
        resolve();
      }),
    );
  });
});
