/**
 * WebSocket /api/v1/stream: live alarms, device status and notifications, filtered per user,
 * with resume after a gap. The protocol (authentication without a token in the URL, the
 * messages each way, when live delivery starts, limits and close codes) is docs/live-stream.md;
 * keep the two in step.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { Logger } from '@lanbridge/logging';
import { ROOT_LOGGER } from '../config/config.tokens';
import { TokenService } from '../auth/token.service';
import type { Principal } from '../auth/principal';
import { AccessCoreException } from '../http/access-core.exception';
import { Clock } from '../system/clock';
import { StreamHub, type ReplayTarget, type StreamMessage } from './stream.hub';

export const STREAM_PATH = '/api/v1/stream';
export const STREAM_SUBPROTOCOL = 'lanbridge.stream.v1';
const BEARER_PREFIX = 'bearer.';
const AUTH_TIMEOUT_MS = 5_000;
const HEARTBEAT_MS = 30_000;
const MAX_MESSAGE_BYTES = 16 * 1024;
const MAX_BUFFERED_BYTES = 1024 * 1024;
const SHUTDOWN_GRACE_MS = 1_000;
const MAX_PENDING_MESSAGES = 32;
const LIVE_AFTER_MS = 2_000;
const MAX_STREAM_ID = 2n ** 63n - 1n;
const STREAM_ID = /^(0|[1-9][0-9]{0,18})$/;

export const StreamCloseCode = {
  BAD_MESSAGE: 4400,
  UNAUTHENTICATED: 4401,
  OTHER_USER: 4403,
  AUTH_TIMEOUT: 4408,
  TOO_SLOW: 4429,
  REPLAY_FAILED: 1011,
  GOING_AWAY: 1001,
} as const;

type ClientMessage =
  | { readonly type: 'auth'; readonly token: string }
  | { readonly type: 'ping' }
  | { readonly type: 'resume'; readonly after: string | undefined }
  | { readonly type: 'ack'; readonly id: string };

const isStreamId = (v: unknown): v is string =>
  typeof v === 'string' && STREAM_ID.test(v) && BigInt(v) <= MAX_STREAM_ID;

function parseClientMessage(data: RawData, isBinary: boolean): ClientMessage | undefined {
  if (isBinary) return undefined;
  let msg: unknown;
  try {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    msg = JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return undefined;
  const m = msg as Record<string, unknown>;
  switch (m.type) {
    case 'ping':
      return { type: 'ping' };
    case 'auth':
      return typeof m.token === 'string' ? { type: 'auth', token: m.token } : undefined;
    case 'resume':
      return m.after === undefined || isStreamId(m.after) ? { type: 'resume', after: m.after } : undefined;
    case 'ack':
      return isStreamId(m.id) ? { type: 'ack', id: m.id } : undefined;
    default:
      return undefined;
  }
}

function offeredProtocols(req: IncomingMessage): string[] {
  const header = req.headers['sec-websocket-protocol'];
  return (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

function reject(socket: Duplex, status: number, reason: string): void {
  const body = JSON.stringify({ code: status === 401 ? 'UNAUTHENTICATED' : 'NOT_FOUND', message: reason });
  socket.end(
    `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : 'Not Found'}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** The text of a message, made once however many clients it is sent to. */
const serialized = new WeakMap<StreamMessage, string>();
function serialize(message: StreamMessage): string {
  let text = serialized.get(message);
  if (text === undefined) {
    text = JSON.stringify(message);
    serialized.set(message, text);
  }
  return text;
}

class Connection implements ReplayTarget {
  principal: Principal | undefined;
  alive = true;
  /** Set by StreamHub.replay: live messages are skipped, the replay reads them from the table. */
  replaying = false;
  private expiry: NodeJS.Timeout | undefined;
  /** Between `ready` and the client's first message: where live delivery will start. */
  private start: { readonly cursor: string; readonly timer: NodeJS.Timeout } | undefined;
  private queue: Promise<void> = Promise.resolve();
  private pending = 0;
  private corked = false;

  constructor(
    readonly ws: WebSocket,
    private readonly log: Logger,
  ) {}

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(message: StreamMessage): void {
    if (!this.open) return;
    if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.log.warn({ buffered: this.ws.bufferedAmount }, 'stream client too slow; closing');
      this.close(StreamCloseCode.TOO_SLOW, 'too slow');
      return;
    }
    this.corkUntilNextTick();
    this.ws.send(serialize(message));
  }

  /**
   * Messages sent in the same tick (a group of published messages) leave in one socket write
   * instead of one write each.
   */
  private corkUntilNextTick(): void {
    if (this.corked) return;
    const socket = (this.ws as unknown as { _socket?: Duplex })._socket;
    if (!socket || typeof socket.cork !== 'function') return;
    this.corked = true;
    socket.cork();
    process.nextTick(() => {
      this.corked = false;
      socket.uncork();
    });
  }

  deliver(message: StreamMessage): void {
    if (!this.replaying) this.send(message);
  }

  sendReplayed(message: StreamMessage): Promise<void> {
    if (!this.open) return Promise.resolve();
    return new Promise((resolve) => this.ws.send(JSON.stringify(message), () => resolve()));
  }

  authenticated(principal: Principal, nowMs: number, cursor: string): void {
    this.principal = principal;
    clearTimeout(this.expiry);
    this.expiry = setTimeout(
      () => this.close(StreamCloseCode.UNAUTHENTICATED, 'token expired'),
      Math.max(0, principal.expiresAt * 1000 - nowMs),
    );
    this.send({
      type: 'ready',
      role: principal.role,
      expiresAt: new Date(principal.expiresAt * 1000).toISOString(),
      cursor,
    });
  }

  /** Runs `task` after the client's earlier messages; false when too many are waiting. */
  enqueue(task: () => Promise<void>): boolean {
    if (this.pending >= MAX_PENDING_MESSAGES) return false;
    this.pending += 1;
    this.queue = this.queue.then(task).then(
      () => {
        this.pending -= 1;
      },
      (err: unknown) => {
        this.pending -= 1;
        this.log.error({ err }, 'stream message handling failed');
      },
    );
    return true;
  }

  close(code: number, reason: string): void {
    clearTimeout(this.expiry);
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING)
      this.ws.close(code, reason);
  }

  /** Holds live messages (they stay in the table) until `takeStart`, or `onTimeout` after LIVE_AFTER_MS. */
  holdLiveFrom(cursor: string, onTimeout: () => void): void {
    this.replaying = true;
    this.start = { cursor, timer: setTimeout(onTimeout, LIVE_AFTER_MS) };
  }

  /** The held `ready` cursor, once (undefined when live delivery already started). */
  takeStart(): string | undefined {
    const start = this.start;
    this.start = undefined;
    if (start) clearTimeout(start.timer);
    return start?.cursor;
  }

  dispose(): void {
    clearTimeout(this.expiry);
    if (this.start) clearTimeout(this.start.timer);
  }
}

@Injectable()
export class StreamGateway implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger: Logger;
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    handleProtocols: (protocols) => (protocols.has(STREAM_SUBPROTOCOL) ? STREAM_SUBPROTOCOL : false),
  });
  private readonly connections = new Map<WebSocket, Connection>();
  private heartbeat: NodeJS.Timeout | undefined;
  private server: Server | undefined;
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    void this.upgrade(req, socket, head).catch((err: unknown) => {
      this.logger.error({ err }, 'stream upgrade failed');
      socket.destroy();
    });
  };

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly tokens: TokenService,
    private readonly hub: StreamHub,
    private readonly clock: Clock,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ component: 'stream' });
  }

  onApplicationBootstrap(): void {
    this.server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    this.server.on('upgrade', this.onUpgrade);
    this.heartbeat = setInterval(() => this.sweep(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  // Before the HTTP server closes: upgraded sockets still count as its connections, so
  // server.close() would wait for them.
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.heartbeat);
    this.server?.off('upgrade', this.onUpgrade);
    const closed = [...this.connections.keys()].map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          ws.once('close', () => resolve());
          ws.close(StreamCloseCode.GOING_AWAY, 'server shutting down');
        }),
    );
    const grace = new Promise<void>((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS).unref());
    await Promise.race([Promise.all(closed), grace]);
    for (const ws of this.connections.keys()) ws.terminate();
    this.wss.close();
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (path !== STREAM_PATH) {
      // Another component may own this path; answer only when nobody else listens.
      if (this.server && this.server.listenerCount('upgrade') === 1) reject(socket, 404, 'no WebSocket endpoint here');
      return;
    }
    const bearer = offeredProtocols(req).find((p) => p.startsWith(BEARER_PREFIX));
    let principal: Principal | undefined;
    if (bearer !== undefined) {
      try {
        principal = await this.tokens.authenticate(bearer.slice(BEARER_PREFIX.length));
      } catch (err) {
        this.logger.warn({ reason: err instanceof AccessCoreException ? err.message : String(err) }, 'stream refused');
        reject(socket, 401, 'the access token is not valid');
        return;
      }
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, principal));
  }

  private accept(ws: WebSocket, principal: Principal | undefined): void {
    const conn = new Connection(ws, this.logger);
    this.connections.set(ws, conn);
    const authTimer = principal
      ? undefined
      : setTimeout(() => conn.close(StreamCloseCode.AUTH_TIMEOUT, 'no auth message'), AUTH_TIMEOUT_MS);
    if (principal) this.admit(conn, principal);
    ws.on('pong', () => (conn.alive = true));
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const msg = parseClientMessage(data, isBinary);
      if (msg?.type === 'ping') {
        conn.send({ type: 'pong' });
        return;
      }
      const queued = conn.enqueue(async () => {
        await this.onMessage(conn, msg);
        if (conn.principal) clearTimeout(authTimer);
      });
      if (!queued) conn.close(StreamCloseCode.TOO_SLOW, 'too many messages waiting');
    });
    ws.on('close', () => {
      clearTimeout(authTimer);
      conn.dispose();
      this.connections.delete(ws);
      this.hub.remove(conn);
    });
    ws.on('error', (err) => this.logger.debug({ err }, 'stream socket error'));
  }

  private admit(conn: Connection, principal: Principal): void {
    const cursor = this.hub.cursor;
    // Synchronously with add(): every message after `cursor` is either replayed or sent live.
    conn.holdLiveFrom(cursor, () => {
      if (!conn.enqueue(() => this.startLive(conn))) conn.close(StreamCloseCode.TOO_SLOW, 'too many messages waiting');
    });
    conn.authenticated(principal, this.clock.now().getTime(), cursor);
    this.hub.add(conn);
    this.logger.info({ role: principal.role, name: principal.name }, 'stream subscribed');
  }

  private async onMessage(conn: Connection, msg: ClientMessage | undefined): Promise<void> {
    if (msg === undefined || msg.type === 'ping') {
      conn.close(StreamCloseCode.BAD_MESSAGE, 'expected auth, resume, ack or ping (see the stream protocol)');
      return;
    }
    if (msg.type !== 'resume') await this.startLive(conn);
    if (msg.type === 'auth') {
      await this.reauthenticate(conn, msg.token);
      return;
    }
    const principal = conn.principal;
    if (!principal) {
      conn.close(StreamCloseCode.BAD_MESSAGE, 'expected {"type":"auth","token":…} first');
      return;
    }
    if (msg.type === 'ack') {
      await this.hub.acknowledge(principal.sessionId, msg.id);
      return;
    }
    const start = conn.takeStart();
    const from = msg.after ?? (await this.hub.storedCursor(principal.sessionId)) ?? start ?? this.hub.cursor;
    await this.replay(conn, principal, from, true);
  }

  /** A client that did not ask to resume: live from its `ready` cursor (what it missed meanwhile first). */
  private async startLive(conn: Connection): Promise<void> {
    const start = conn.takeStart();
    if (start !== undefined && conn.principal) await this.replay(conn, conn.principal, start, false);
  }

  private async replay(conn: Connection, principal: Principal, from: string, announce: boolean): Promise<void> {
    try {
      const result = await this.hub.replay(conn, from);
      if (!announce) return;
      conn.send({ type: 'resumed', ...result });
      this.logger.info({ role: principal.role, name: principal.name, ...result }, 'stream resumed');
    } catch (err) {
      this.logger.error({ err, name: principal.name }, 'stream replay failed');
      conn.close(StreamCloseCode.REPLAY_FAILED, 'replay failed; reconnect and resume');
    }
  }

  private async reauthenticate(conn: Connection, token: string): Promise<void> {
    let principal: Principal;
    try {
      principal = await this.tokens.authenticate(token);
    } catch {
      conn.close(StreamCloseCode.UNAUTHENTICATED, 'the access token is not valid');
      return;
    }
    if (
      conn.principal &&
      (conn.principal.subjectId !== principal.subjectId || conn.principal.role !== principal.role)
    ) {
      conn.close(StreamCloseCode.OTHER_USER, 'a stream belongs to one user');
      return;
    }
    if (conn.principal) conn.authenticated(principal, this.clock.now().getTime(), this.hub.cursor);
    else this.admit(conn, principal);
  }

  private sweep(): void {
    for (const [ws, conn] of this.connections) {
      if (!conn.alive) {
        ws.terminate();
        continue;
      }
      conn.alive = false;
      ws.ping();
    }
  }
}
