import * as http from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '@lanbridge/logging';
import { TunnelErrorCode, type TunnelStream } from '@lanbridge/tunnel-protocol';
import { filterHopByHop, headerValue } from './hop-by-hop';
import { type Exchange, LocalHttpClient, type LocalHttpError, type LocalResponseHandler } from './local-http-client';

export interface HttpForwarderOptions {
  /** The local application, e.g. http://127.0.0.1:8090 (a base path is kept as a prefix). */
  readonly localAppUrl: string;
  /** Time the local application has to send its response head. */
  readonly upstreamTimeoutMs: number;
  readonly logger: Logger;
  /** Keep-alive connections to the local app (default 256). */
  readonly connections?: number;
}

const BODYLESS_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'DELETE']);
const UPSTREAM_LOG_INTERVAL_MS = 5000;

// Error listeners must exist so a reset never surfaces as an uncaught 'error'; cleanup is on 'close'.
function ignore(): void {}

/**
 * Forwards each tunnel stream to the local application. Plain HTTP goes through
 * `LocalHttpClient` (keep-alive, one request per connection at a time, response headers as the
 * flat list the tunnel carries). Upgrades use node:http, which hands over the raw socket.
 */
export class HttpForwarder {
  private readonly client: LocalHttpClient;
  private readonly basePath: string;
  private readonly hostHeader: string;
  private readonly hostname: string;
  private readonly port: number;
  private readonly log: Logger;
  private lastUpstreamLog = 0;
  private suppressed = 0;
  private readonly upgradeSockets = new Set<Socket>();

  constructor(private readonly opts: HttpForwarderOptions) {
    const url = new URL(opts.localAppUrl);
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.hostHeader = url.host;
    this.hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    this.port = url.port ? Number(url.port) : 80;
    this.log = opts.logger.child({ component: 'http-forwarder' });
    // No body timeout: long polls and event streams may idle; the client (through the broker)
    // cancels those.
    this.client = new LocalHttpClient({
      url: opts.localAppUrl,
      headersTimeoutMs: opts.upstreamTimeoutMs,
      maxConnections: opts.connections ?? 256,
    });
  }

  /** Handles one tunnel stream to completion; never throws. */
  forward(stream: TunnelStream): void {
    stream.on('error', ignore);
    const head = stream.requestHead;
    if (head.path.charCodeAt(0) !== 47 /* '/' */) {
      this.reject(stream, 400, 'CONNECTOR_BAD_PATH', 'request path must start with "/"');
      return;
    }
    const path = this.basePath + head.path;
    if (head.upgrade) this.forwardUpgrade(stream, path);
    else this.forwardHttp(stream, path);
  }

  close(): Promise<void> {
    for (const s of this.upgradeSockets) s.destroy();
    this.client.close();
    return Promise.resolve();
  }

  private forwardHttp(stream: TunnelStream, path: string): void {
    const head = stream.requestHead;
    const headers = filterHopByHop(head.headers, { dropHost: true });
    const hasBody =
      !BODYLESS_METHODS.has(head.method) ||
      headerValue(head.headers, 'content-length') !== undefined ||
      headerValue(head.headers, 'transfer-encoding') !== undefined;
    if (!hasBody) stream.resume();
    const handler = new ResponseHandler(stream, this);
    try {
      handler.exchange = this.client.request(
        { method: head.method, path, headers, body: hasBody ? stream : undefined },
        handler,
      );
    } catch (err) {
      this.reject(stream, 400, 'CONNECTOR_BAD_HEAD', err instanceof Error ? err.message : 'invalid request head');
      return;
    }
    stream.once('close', handler.onStreamClose);
  }

  private forwardUpgrade(stream: TunnelStream, path: string): void {
    const head = stream.requestHead;
    const headers = filterHopByHop(head.headers, { keepUpgrade: true, dropHost: true });
    headers.push('Host', this.hostHeader);
    const req = http.request({
      host: this.hostname,
      port: this.port,
      method: head.method,
      path,
      headers,
      agent: false,
    });
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      req.destroy();
      stream.reset(TunnelErrorCode.UPSTREAM_TIMEOUT, 'local application did not answer the upgrade in time');
    }, this.opts.upstreamTimeoutMs);
    const onStreamClose = (): void => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        req.destroy();
      }
    };
    stream.once('close', onStreamClose);
    req.on('error', (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      this.upstreamFailed(err);
      stream.reset(TunnelErrorCode.UPSTREAM_UNREACHABLE, 'local application unreachable');
    });
    req.on('upgrade', (res, socket: Socket, rest: Buffer) => {
      clearTimeout(timer);
      if (settled) {
        socket.destroy();
        return;
      }
      settled = true;
      stream.off('close', onStreamClose);
      socket.setNoDelay(true);
      this.upgradeSockets.add(socket);
      stream.sendResponseHead({
        status: res.statusCode ?? 101,
        statusText: res.statusMessage,
        headers: filterHopByHop(res.rawHeaders, { keepUpgrade: true }),
      });
      if (rest.length > 0) stream.write(rest);
      socket.pipe(stream);
      stream.pipe(socket);
      socket.on('error', () => stream.reset(TunnelErrorCode.UPSTREAM_UNREACHABLE, 'local connection failed'));
      socket.once('close', () => {
        this.upgradeSockets.delete(socket);
        if (!stream.writableEnded) stream.reset(TunnelErrorCode.UPSTREAM_UNREACHABLE, 'local connection closed');
      });
      stream.once('close', () => socket.destroy());
    });
    req.on('response', (res) => {
      clearTimeout(timer);
      if (settled) {
        res.destroy();
        return;
      }
      settled = true;
      stream.off('close', onStreamClose);
      stream.sendResponseHead({
        status: res.statusCode ?? 502,
        statusText: res.statusMessage,
        headers: filterHopByHop(res.rawHeaders),
      });
      res.pipe(stream);
      res.on('error', () => stream.reset(TunnelErrorCode.UPSTREAM_UNREACHABLE, 'local response aborted'));
      stream.once('close', () => res.destroy());
    });
    req.end();
  }

  private reject(stream: TunnelStream, status: number, code: string, message: string): void {
    const body = Buffer.from(JSON.stringify({ code, message }));
    stream.resume();
    stream.sendResponseHead({
      status,
      headers: ['content-type', 'application/json', 'content-length', String(body.length)],
    });
    stream.end(body);
  }

  /** One warning per interval: a dead local app must not flood the log at request rate. */
  upstreamFailed(err: Error & { code?: string }): void {
    const now = Date.now();
    if (now - this.lastUpstreamLog < UPSTREAM_LOG_INTERVAL_MS) {
      this.suppressed++;
      return;
    }
    this.log.warn(
      {
        err: { message: err.message, code: err.code },
        localAppUrl: this.opts.localAppUrl,
        suppressed: this.suppressed,
      },
      'local application request failed',
    );
    this.lastUpstreamLog = now;
    this.suppressed = 0;
  }
}

/** One per request: writes the local application's answer into the tunnel stream. */
class ResponseHandler implements LocalResponseHandler {
  exchange: Exchange | undefined;
  private headSent = false;
  private done = false;

  constructor(
    private readonly stream: TunnelStream,
    private readonly forwarder: HttpForwarder,
  ) {}

  /** The broker reset the stream (client gone): abort the local request. */
  readonly onStreamClose = (): void => {
    if (this.done) return;
    this.done = true;
    this.exchange?.abort();
  };

  onHead(status: number, statusText: string, headers: string[]): void {
    this.headSent = true;
    this.stream.sendResponseHead({ status, statusText, headers: filterHopByHop(headers) });
  }

  onData(chunk: Buffer): boolean {
    if (this.stream.writeTransient(chunk)) return true;
    this.stream.once('drain', this.onDrain);
    return false;
  }

  private readonly onDrain = (): void => {
    this.exchange?.resume();
  };

  onEnd(): void {
    if (this.done) return;
    this.done = true;
    this.stream.off('close', this.onStreamClose);
    // A body the application did not wait for is read and dropped, so the stream can finish.
    if (!this.stream.readableEnded) this.stream.resume();
    this.stream.end();
  }

  onError(err: LocalHttpError): void {
    if (this.done) return;
    this.done = true;
    this.stream.off('close', this.onStreamClose);
    if (err.failure === 'timeout') {
      this.stream.reset(TunnelErrorCode.UPSTREAM_TIMEOUT, 'local application did not answer in time');
      return;
    }
    this.forwarder.upstreamFailed(err);
    this.stream.reset(
      TunnelErrorCode.UPSTREAM_UNREACHABLE,
      err.failure === 'bad-response'
        ? 'local application sent an invalid response'
        : this.headSent
          ? 'local application aborted the response'
          : 'local application unreachable',
    );
  }
}
