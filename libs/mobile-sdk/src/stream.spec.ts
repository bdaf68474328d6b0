import type { IncomingMessage } from 'node:http';
import WebSocket, { WebSocketServer } from 'ws';
import { LanbridgeClient, type SessionSnapshot } from './client';
import { SdkErrorCode } from './errors';
import { compareIds, type StreamEvent, type StreamStatus } from './stream';
import { fakeSite, type FakeSite, startServer, type TestServer } from './testing/fixtures';

interface Conn {
  readonly ws: WebSocket;
  readonly protocols: string[];
  readonly received: Record<string, unknown>[];
  next(pred: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
}

/** A WebSocket endpoint at /t/acme/api/v1/stream on the test server, recording each connection. */
function streamServer(server: TestServer): { conns: Conn[]; connected: () => Promise<Conn>; wss: WebSocketServer } {
  const conns: Conn[] = [];
  const waiting: ((c: Conn) => void)[] = [];
  const wss = new WebSocketServer({
    server: server.server,
    path: '/t/acme/api/v1/stream',
    handleProtocols: (p) => (p.has('lanbridge.stream.v1') ? 'lanbridge.stream.v1' : false),
  });
  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    const received: Record<string, unknown>[] = [];
    const listeners: (() => void)[] = [];
    ws.on('message', (d: Buffer) => {
      received.push(JSON.parse(d.toString()) as Record<string, unknown>);
      for (const l of listeners.splice(0)) l();
    });
    const conn: Conn = {
      ws,
      protocols: String(req.headers['sec-websocket-protocol'])
        .split(',')
        .map((s) => s.trim()),
      received,
      next: (pred) =>
        new Promise((resolve) => {
          const check = (): void => {
            const hit = received.find(pred);
            if (hit) resolve(hit);
            else listeners.push(check);
          };
          check();
        }),
    };
    conns.push(conn);
    const w = waiting.shift();
    if (w) w(conn);
  });
  let taken = 0;
  return {
    conns,
    wss,
    connected: () =>
      new Promise<Conn>((resolve) => {
        if (conns.length > taken) resolve(conns[taken++]);
        else
          waiting.push((c) => {
            taken++;
            resolve(c);
          });
      }),
  };
}

const send = (c: Conn, m: object): void => c.ws.send(JSON.stringify(m));
const alarm = (id: string): object => ({ type: 'alarm', id, data: { description: `alarm ${id}` } });
const later = (s: number): string => new Date(Date.now() + s * 1000).toISOString();

describe('live stream (mobile-path §4)', () => {
  let server: TestServer;
  let site: FakeSite;
  let session: SessionSnapshot;
  let stream: ReturnType<typeof streamServer>;

  const client = (over: Partial<SessionSnapshot> = {}): LanbridgeClient =>
    new LanbridgeClient({
      WebSocket,
      org: { issuer: server.url, orgId: 'o', name: 'Acme', api: `${server.url}/t/acme`, skt: site.signing.thumbprint },
      session: { ...session, ...over },
    });

  beforeEach(async () => {
    server = await startServer();
    site = await fakeSite(server);
    stream = streamServer(server);
    const c = new LanbridgeClient({
      org: { issuer: server.url, orgId: 'o', name: 'Acme', api: `${server.url}/t/acme`, skt: site.signing.thumbprint },
    });
    session = await c.login({ type: 'admin', username: 'admin', password: 'correct horse' });
  });

  afterEach(async () => {
    for (const c of stream.conns) c.ws.terminate();
    stream.wss.close();
    await server.close();
  });

  it('resumes after a dropped connection, acks, and delivers each event exactly once', async () => {
    const events: StreamEvent[] = [];
    const statuses: StreamStatus['state'][] = [];
    const live = client().watch({
      onEvent: (e) => {
        events.push(e);
      },
      onStatus: (s) => statuses.push(s.state),
      reconnectInitialDelayMs: 20,
    });
    try {
      const first = await stream.connected();
      expect(first.protocols).toEqual(['lanbridge.stream.v1', `bearer.${session.accessToken}`]);
      send(first, { type: 'ready', role: 'admin', expiresAt: later(900), cursor: '2' });
      for (const id of ['3', '4', '5']) send(first, alarm(id));
      await first.next((m) => m.type === 'ack' && m.id === '5');
      // first connection: live from the ready cursor (which also releases live delivery at once)
      expect(first.received[0]).toEqual({ type: 'resume', after: '2' });
      expect(first.received.filter((m) => m.type === 'ack').at(-1)).toEqual({ type: 'ack', id: '5' });
      first.ws.terminate(); // the tunnel is cut

      const second = await stream.connected();
      send(second, { type: 'ready', role: 'admin', expiresAt: later(900), cursor: '7' });
      expect(await second.next((m) => m.type === 'resume')).toEqual({ type: 'resume', after: '5' });
      for (const id of ['4', '5', '6', '7']) send(second, alarm(id)); // replay overlapping what was seen
      await second.next((m) => m.type === 'ack' && m.id === '7');

      expect(events.map((e) => e.id)).toEqual(['3', '4', '5', '6', '7']);
      expect(events[0]).toEqual({ id: '3', type: 'alarm', data: { description: 'alarm 3' } });
      const acks = second.received.filter((m) => m.type === 'ack').map((m) => m.id);
      expect(acks.at(-1)).toBe('7');
      expect(acks.every((id) => id === '6' || id === '7')).toBe(true);
      expect(live.lastId).toBe('7');
      expect(statuses).toEqual(['connecting', 'open', 'reconnecting', 'connecting', 'open']);
    } finally {
      live.close();
    }
    await live.done;
  });

  it('resumes after a saved id on the first connection', async () => {
    const ids: (string | undefined)[] = [];
    const resumed: unknown[] = [];
    const live = client().watch({
      after: '41',
      onEvent: (e) => void ids.push(e.id),
      onResumed: (r) => resumed.push(r),
    });
    try {
      const c = await stream.connected();
      send(c, { type: 'ready', role: 'admin', expiresAt: later(900), cursor: '50' });
      expect(await c.next((m) => m.type === 'resume')).toEqual({ type: 'resume', after: '41' });
      send(c, alarm('41'));
      send(c, alarm('42'));
      send(c, { type: 'resumed', after: '41', replayed: 1, truncated: true });
      await c.next((m) => m.type === 'ack' && m.id === '42');
      expect(ids).toEqual(['42']);
      expect(resumed).toEqual([{ after: '41', replayed: 1, truncated: true }]);
    } finally {
      live.close();
    }
  });

  it('reconnects when the connection goes silent (a cut tunnel that keeps TCP open)', async () => {
    const live = client().watch({ onEvent: () => undefined, pingIntervalMs: 100, reconnectInitialDelayMs: 10 });
    try {
      const first = await stream.connected();
      send(first, { type: 'ready', role: 'admin', expiresAt: later(900), cursor: '9' });
      await first.next((m) => m.type === 'ping'); // never answered
      const second = await stream.connected();
      send(second, { type: 'ready', role: 'admin', expiresAt: later(900), cursor: '9' });
      expect(await second.next((m) => m.type === 'resume')).toEqual({ type: 'resume', after: '9' });
    } finally {
      live.close();
    }
  });

  it('re-authenticates with a fresh token before the current one expires', async () => {
    // The stream opens with a token valid for 7 s (enough: leeway 1 s + 5 s), the server says
    // it expires in 3 s, so 1 s before that the stream asks for a token valid for 6 s: a refresh.
    const c = client({ accessExpiresAt: Date.now() + 7_000 });
    const live = c.watch({ onEvent: () => undefined, reauthLeewayS: 1 });
    try {
      const conn = await stream.connected();
      const opened = conn.protocols[1].slice('bearer.'.length);
      expect(opened).toBe(session.accessToken);
      send(conn, { type: 'ready', role: 'admin', expiresAt: later(3), cursor: '1' });
      const auth = await conn.next((m) => m.type === 'auth');
      expect(auth.token).not.toBe(opened);
      expect(auth.token).toBe(c.session?.accessToken);
      expect(site.refreshCount).toBe(1);
    } finally {
      live.close();
    }
  });

  it('stops for good when the server refuses the stream for another user', async () => {
    const statuses: StreamStatus[] = [];
    const live = client().watch({ onEvent: () => undefined, onStatus: (s) => statuses.push(s) });
    const c = await stream.connected();
    send(c, { type: 'ready', role: 'admin', expiresAt: later(900), cursor: '1' });
    c.ws.close(4403, 'a stream belongs to one user');
    await live.done;
    const last = statuses.at(-1);
    expect(last?.state).toBe('closed');
    expect(last?.state === 'closed' ? last.error?.code : undefined).toBe(SdkErrorCode.STREAM_CLOSED);
    await new Promise((r) => setTimeout(r, 100));
    expect(stream.conns).toHaveLength(1);
  });

  it('compares decimal ids numerically', () => {
    expect(compareIds('9', '10')).toBeLessThan(0);
    expect(compareIds('12345678901234567890', '12345678901234567889')).toBeGreaterThan(0);
    expect(compareIds('007', '7')).toBe(0);
  });
});
