/**
 * Transport pairs for the session test suite: the same tests run over each. `connector` is the
 * WebSocket client end, `broker` the server end. `closed` reports the raw close seen by each end,
 * whatever handlers a session or handshake installs.
 */
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { type MessageTransport, WS_SUBPROTOCOL_V1 } from '../api';
import { memoryTransportPair } from '../transports/memory';
import { wsTransport } from '../transports/ws';

export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
}

export interface TestPair {
  readonly connector: MessageTransport;
  readonly broker: MessageTransport;
  readonly connectorClosed: Promise<CloseInfo>;
  readonly brokerClosed: Promise<CloseInfo>;
}

export interface PairFactory {
  readonly name: string;
  setup(): Promise<void>;
  create(): Promise<TestPair>;
  teardown(): Promise<void>;
}

/** Forward everything, and also report the first close to a promise. */
export function tapClose(t: MessageTransport): { transport: MessageTransport; closed: Promise<CloseInfo> } {
  let report!: (c: CloseInfo) => void;
  const closed = new Promise<CloseInfo>((r) => (report = r));
  let handler: ((code: number, reason: string) => void) | undefined;
  t.onClose((code, reason) => {
    report({ code, reason });
    handler?.(code, reason);
  });
  const transport: MessageTransport = {
    get bufferedAmount() {
      return t.bufferedAmount;
    },
    remoteAddress: t.remoteAddress,
    send: (m) => t.send(m),
    close: (c, r) => t.close(c, r),
    terminate: () => t.terminate(),
    onMessage: (h) => t.onMessage(h),
    onClose: (h) => {
      handler = h;
    },
    onDrain: (h) => t.onDrain(h),
  };
  return { transport, closed };
}

export function memoryPairFactory(): PairFactory {
  return {
    name: 'memory',
    setup: () => Promise.resolve(),
    teardown: () => Promise.resolve(),
    create: () => {
      const [c, b] = memoryTransportPair();
      const tc = tapClose(c);
      const tb = tapClose(b);
      return Promise.resolve({
        connector: tc.transport,
        broker: tb.transport,
        connectorClosed: tc.closed,
        brokerClosed: tb.closed,
      });
    },
  };
}

export function wsPairFactory(): PairFactory {
  let server: WebSocketServer | undefined;
  const sockets = new Set<WebSocket>();
  let waiting: ((ws: WebSocket) => void)[] = [];
  return {
    name: 'ws',
    async setup() {
      server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 4 << 20 });
      server.on('connection', (ws) => {
        sockets.add(ws);
        waiting.shift()?.(ws);
      });
      await new Promise<void>((r) => server!.once('listening', r));
    },
    async create() {
      const port = (server!.address() as AddressInfo).port;
      const accepted = new Promise<WebSocket>((r) => waiting.push(r));
      const client = new WebSocket(`ws://127.0.0.1:${port}`, WS_SUBPROTOCOL_V1, {
        perMessageDeflate: false,
        generateMask: (m: Buffer) => m.fill(0),
      });
      sockets.add(client);
      await new Promise<void>((resolve, reject) => {
        client.once('open', () => resolve());
        client.once('error', reject);
      });
      const srv = await accepted;
      const tc = tapClose(wsTransport(client));
      const tb = tapClose(wsTransport(srv));
      return { connector: tc.transport, broker: tb.transport, connectorClosed: tc.closed, brokerClosed: tb.closed };
    },
    async teardown() {
      for (const s of sockets) s.terminate();
      waiting = [];
      await new Promise<void>((r) => server!.close(() => r()));
    },
  };
}
