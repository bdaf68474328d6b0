/**
 * WebSocket /api/v1/stream: live alarms, device status and notifications, filtered per user.
 *
 * Authentication (never a token in the URL, which proxies and logs keep):
 *  - either offer the subprotocols `lanbridge.stream.v1` and `bearer.<accessToken>`; the server
 *    checks the token before the upgrade (HTTP 401 when bad) and selects `lanbridge.stream.v1`;
 *  - or connect with `lanbridge.stream.v1` only and send `{"type":"auth","token":"…"}` as the
 *    first message within AUTH_TIMEOUT_MS.
 * Before the access token expires, send `{"type":"auth","token":<fresh token of the same user>}`
 * to keep the stream; otherwise it closes with 4401.
 *
 * Server → client: `{"type":"ready","role","expiresAt"}`, `{"type":"alarm","data"}`,
 * `{"type":"device-status","data"}`, `{"type":"notification","data"}`, `{"type":"pong"}`.
 * Client → server: `auth` as above, `{"type":"ping"}`.
 *
 * Close codes: 4400 malformed message, 4401 unauthenticated / token expired, 4403 the new
 * token is another user's, 4408 no auth message in time, 4429 too slow to read (buffer
 * over MAX_BUFFERED_BYTES), 1001 server shutting down, 1009 message too big.
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
import { StreamHub, type StreamClient, type StreamMessage } from './stream.hub';

export const STREAM_PATH = '/api/v1/stream';
export const STREAM_SUBPROTOCOL = 'lanbridge.stream.v1';
const BEARER_PREFIX = 'bearer.';
const AUTH_TIMEOUT_MS = 5_000;
const HEARTBEAT_MS = 30_000;
const MAX_MESSAGE_BYTES = 16 * 1024;
const MAX_BUFFERED_BYTES = 1024 * 1024;
const SHUTDOWN_GRACE_MS = 1_000;

export const StreamCloseCode = {
  BAD_MESSAGE: 4400,
  UNAUTHENTICATED: 4401,
  OTHER_USER: 4403,
  AUTH_TIMEOUT: 4408,
  TOO_SLOW: 4429,
  GOING_AWAY: 1001,
} as const;

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

class Connection implements StreamClient {
  principal: Principal | undefined;
  alive = true;
  private expiry: NodeJS.Timeout | undefined;

  constructor(
    readonly ws: WebSocket,
    private readonly log: Logger,
  ) {}

  send(message: StreamMessage): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.log.warn({ buffered: this.ws.bufferedAmount }, 'stream client too slow; closing');
      this.close(StreamCloseCode.TOO_SLOW, 'too slow');
      return;
    }
    this.ws.send(JSON.stringify(message));
  }

  authenticated(principal: Principal, nowMs: number): void {
    this.principal = principal;
    clearTimeout(this.expiry);
    this.expiry = setTimeout(
      () => this.close(StreamCloseCode.UNAUTHENTICATED, 'token expired'),
      Math.max(0, principal.expiresAt * 1000 - nowMs),
    );
    this.send({ type: 'ready', role: principal.role, expiresAt: new Date(principal.expiresAt * 1000).toISOString() });
  }

  close(code: number, reason: string): void {
    clearTimeout(this.expiry);
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING)
      this.ws.close(code, reason);
  }

  dispose(): void {
    clearTimeout(this.expiry);
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
      void this.onMessage(conn, data, isBinary).then(() => {
        if (conn.principal) clearTimeout(authTimer);
      });
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
    conn.authenticated(principal, this.clock.now().getTime());
    this.hub.add(conn);
    this.logger.info({ role: principal.role, name: principal.name }, 'stream subscribed');
  }

  private async onMessage(conn: Connection, data: RawData, isBinary: boolean): Promise<void> {
    let msg: unknown;
    try {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      msg = isBinary ? undefined : (JSON.parse(bytes.toString('utf8')) as unknown);
    } catch {
      msg = undefined;
    }
    const type = typeof msg === 'object' && msg !== null && 'type' in msg ? msg.type : undefined;
    if (type === 'ping') {
      conn.send({ type: 'pong' });
      return;
    }
    if (type !== 'auth' || typeof (msg as { token?: unknown }).token !== 'string') {
      conn.close(StreamCloseCode.BAD_MESSAGE, 'expected {"type":"auth","token":…} or {"type":"ping"}');
      return;
    }
    let principal: Principal;
    try {
      principal = await this.tokens.authenticate((msg as { token: string }).token);
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
    if (conn.principal) conn.authenticated(principal, this.clock.now().getTime());
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
