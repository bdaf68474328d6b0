import * as net from 'node:net';
import * as tls from 'node:tls';

/**
 * A keep-alive HTTP/1.1 client for one origin: the connector's local application.
 *
 * Why not undici or node:http: every tunnel stream is one request to the same nearby origin, and
 * on the benchmark's small requests a general client was the largest part of the connector's CPU
 * (undici's JS about a fifth, its request write another fifth). This client does only what that
 * path needs: one request per connection at a time (no pipelining), the request head written in
 * one piece, a response parser that reads the status line and the few framing headers and hands
 * the rest over as a flat list, and bodies passed through with backpressure, never buffered.
 *
 * What it enforces (RFC 9112): a response head of at most `maxHeadBytes`; no obs-fold, bad
 * header names or differing Content-Length values; Transfer-Encoding wins over Content-Length
 * (the connection is then not reused); 1xx answers skipped; no body after HEAD, 204 and 304;
 * a body without framing runs to the end of the connection. A connection is reused only after a
 * complete exchange on a keep-alive response with the whole request body sent.
 */

export type LocalFailure =
  /** No response head within the timeout. */
  | 'timeout'
  /** Could not connect, or the connection failed before a response head. */
  | 'unreachable'
  /** The connection failed after the response head (the body is cut short). */
  | 'aborted'
  /** The response was not valid HTTP/1.1. */
  | 'bad-response';

export class LocalHttpError extends Error {
  constructor(
    readonly failure: LocalFailure,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

export interface LocalResponseHandler {
  /** The final response head (never a 1xx). `headers` is the flat [name, value, …] list as received. */
  onHead(status: number, statusText: string, headers: string[]): void;
  /**
   * A piece of the decoded body, valid only during the call (it may lie in a read buffer that
   * the next read overwrites): copy what you keep. Return false to pause reading until
   * `exchange.resume()`.
   */
  onData(chunk: Buffer): boolean;
  onEnd(): void;
  /** Called at most once, instead of onEnd; never after `abort()`. */
  onError(err: LocalHttpError): void;
}

/** The request body source: a readable that can be paused (a tunnel stream). */
export interface BodySource {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  once(event: 'end', listener: () => void): unknown;
  off(event: 'data', listener: (chunk: Buffer) => void): unknown;
  off(event: 'end', listener: () => void): unknown;
  pause(): unknown;
  resume(): unknown;
}

export interface LocalRequest {
  readonly method: string;
  /** Path and query, starting with '/'. */
  readonly path: string;
  /** Flat [name, value, …] list without hop-by-hop headers and without Host. */
  readonly headers: readonly string[];
  /** Present when the request has a body; sent with its Content-Length if the headers carry one, chunked otherwise. */
  readonly body?: BodySource;
}

export interface LocalHttpClientOptions {
  /** http:// or https:// origin of the local application. */
  readonly url: string;
  /** Time from sending the request to the final response head. */
  readonly headersTimeoutMs: number;
  /** Most connections open at once; further requests wait in order. Default 256. */
  readonly maxConnections?: number;
  /** An idle connection is closed after this long (below the usual 5 s server keep-alive). Default 4 s. */
  readonly idleTimeoutMs?: number;
  /** Largest response head accepted. Default 64 KiB. */
  readonly maxHeadBytes?: number;
  /** Extra TLS options for an https origin (a private CA, say). */
  readonly tls?: tls.ConnectionOptions;
}

const CRLF2 = Buffer.from('\r\n\r\n');
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const BAD_VALUE = /[\r\n\0]/;
const PATH = /^[\x21-\x7e\x80-\xff]+$/;
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: ([^\r\n]*))?$/;
const MAX_CHUNK_LINE = 4096;

/** Throws a TypeError for a method, path or header that could split or smuggle a request. */
function requestHead(req: LocalRequest, host: string, chunked: boolean): string {
  if (!TOKEN.test(req.method)) throw new TypeError('invalid method');
  if (!PATH.test(req.path)) throw new TypeError('invalid path');
  let out = `${req.method} ${req.path} HTTP/1.1\r\nHost: ${host}\r\n`;
  const h = req.headers;
  for (let i = 0; i + 1 < h.length; i += 2) {
    if (!TOKEN.test(h[i]) || BAD_VALUE.test(h[i + 1])) throw new TypeError(`invalid header ${JSON.stringify(h[i])}`);
    out += `${h[i]}: ${h[i + 1]}\r\n`;
  }
  if (chunked) out += 'Transfer-Encoding: chunked\r\n';
  return out + '\r\n';
}

function hasHeader(flat: readonly string[], lower: string): boolean {
  for (let i = 0; i < flat.length; i += 2) {
    if (flat[i].length === lower.length && flat[i].toLowerCase() === lower) return true;
  }
  return false;
}

interface ParsedHead {
  readonly status: number;
  readonly statusText: string;
  readonly headers: string[];
  /** -1: none given. */
  readonly contentLength: number;
  readonly chunked: boolean;
  /** Transfer-Encoding without a final `chunked`: the body runs to the end of the connection. */
  readonly untilClose: boolean;
  readonly keepAlive: boolean;
}

/** Parses a response head (without the final CRLFCRLF); undefined if it is not valid. */
function parseHead(text: string): ParsedHead | undefined {
  const lines = text.split('\r\n');
  const m = STATUS_LINE.exec(lines[0]);
  if (!m) return undefined;
  const http10 = m[1] === '0';
  const headers: string[] = [];
  let contentLength = -1;
  let te: string | undefined;
  let connection = '';
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) return undefined;
    const value = line.slice(colon + 1).trim();
    if (value.includes('\n') || value.includes('\r') || value.includes('\0')) return undefined;
    headers.push(name, value);
    switch (name.length) {
      case 14:
        if (name.toLowerCase() === 'content-length') {
          if (!/^\d{1,15}$/.test(value)) return undefined;
          const n = Number(value);
          if (contentLength !== -1 && contentLength !== n) return undefined;
          contentLength = n;
        }
        break;
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') te = te === undefined ? value : `${te}, ${value}`;
        break;
      case 10:
        if (name.toLowerCase() === 'connection') connection += `,${value.toLowerCase()}`;
        break;
    }
  }
  // Most responses carry no Connection header: no token list to build for them.
  const tokens = connection === '' ? [] : connection.split(',').map((t) => t.trim());
  let chunked = false;
  let untilClose = false;
  if (te !== undefined) {
    const codings = te.toLowerCase().split(',');
    chunked = codings[codings.length - 1].trim() === 'chunked';
    untilClose = !chunked;
  }
  const keepAlive =
    te === undefined || chunked ? (http10 ? tokens.includes('keep-alive') : !tokens.includes('close')) : false;
  return {
    status: Number(m[2]),
    statusText: m[3] ?? '',
    headers,
    contentLength,
    chunked,
    untilClose,
    // Both framings given: RFC 9112 §6.3 says use Transfer-Encoding, then close the connection.
    keepAlive: keepAlive && !(te !== undefined && contentLength !== -1),
  };
}

const enum Phase {
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
  UntilClose,
  Done,
}

class Connection {
  exchange: Exchange | undefined;
  idleSince = 0;
  /** Completed exchanges on this connection: a failure on a reused one may be a stale keep-alive. */
  uses = 0;
  closed = false;

  /** `sharedReads`: the socket reads into the shared buffer (onread) and calls `onRead` itself. */
  constructor(
    readonly socket: net.Socket,
    private readonly pool: LocalHttpClient,
    sharedReads: boolean,
  ) {
    socket.setNoDelay(true);
    if (!sharedReads) socket.on('data', this.onRead);
    socket.on('error', (err: Error & { code?: string }) => this.lost(err));
    socket.on('end', () => this.lost(undefined));
    socket.on('close', () => this.lost(undefined));
  }

  /** Bytes from the application; `chunk` may be the shared read buffer, valid during this call only. */
  readonly onRead = (chunk: Buffer): void => {
    if (this.exchange) this.exchange.onBytes(chunk);
    else this.socket.destroy(); // bytes nobody asked for: the connection is out of step
  };

  private lost(err: (Error & { code?: string }) | undefined): void {
    if (!this.closed) {
      this.closed = true;
      this.pool.forget(this);
    }
    const ex = this.exchange;
    this.exchange = undefined;
    ex?.onConnectionLost(err);
  }
}

/** One request and its response on one connection. */
export class Exchange {
  private conn: Connection | undefined;
  private phase = Phase.Head;
  private head: Buffer | undefined;
  private left = 0;
  private chunkLine = '';
  private keepAlive = false;
  private requestSent = false;
  private bodyEnded = false;
  private bodyStarted = false;
  private responseStarted = false;
  private finished = false;
  private retried = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: LocalHttpClient,
    private readonly req: LocalRequest,
    private readonly handler: LocalResponseHandler,
    private readonly headBytes: string,
    /** Chunked request framing: a body whose head carried no Content-Length. */
    private readonly bodyChunked: boolean,
  ) {}

  /** Stop: the connection is closed, no handler is called any more. */
  abort(): void {
    if (this.finished) return;
    this.client.dequeue(this);
    this.settle()?.socket.destroy();
  }

  /** Marks the exchange finished and takes its connection back (undefined if it had none). */
  private settle(): Connection | undefined {
    this.finished = true;
    this.cleanup();
    const conn = this.conn;
    this.conn = undefined;
    if (conn) conn.exchange = undefined;
    return conn;
  }

  /** Resume reading the response after onData returned false. */
  resume(): void {
    this.conn?.socket.resume();
  }

  /** Called by the client with a connection of its own. */
  start(conn: Connection): void {
    if (this.finished) {
      this.client.release(conn, true);
      return;
    }
    this.conn = conn;
    conn.exchange = this;
    this.timer ??= setTimeout(this.onTimeout, this.client.headersTimeoutMs);
    const body = this.req.body;
    conn.socket.write(this.headBytes, 'latin1');
    if (!body || this.bodyEnded) {
      // No body, or an empty one that ended before a retry.
      if (body && this.bodyChunked) conn.socket.write('0\r\n\r\n', 'latin1');
      this.requestSent = true;
      return;
    }
    body.on('data', this.onBodyData);
    body.once('end', this.onBodyEnd);
    conn.socket.on('drain', this.onSocketDrain);
    body.resume();
  }

  private readonly onBodyData = (chunk: Buffer): void => {
    const sock = this.conn?.socket;
    if (!sock || chunk.length === 0) return;
    this.bodyStarted = true;
    let ok: boolean;
    if (this.bodyChunked) {
      sock.cork();
      sock.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
      sock.write(chunk);
      ok = sock.write('\r\n', 'latin1');
      sock.uncork();
    } else {
      ok = sock.write(chunk);
    }
    if (!ok) this.req.body?.pause();
  };

  private readonly onSocketDrain = (): void => {
    if (!this.requestSent) this.req.body?.resume();
  };

  private readonly onBodyEnd = (): void => {
    this.bodyEnded = true;
    this.requestSent = true;
    this.detachBody();
    if (this.bodyChunked) this.conn?.socket.write('0\r\n\r\n', 'latin1');
  };

  private detachBody(): void {
    const body = this.req.body;
    if (!body) return;
    body.off('data', this.onBodyData);
    body.off('end', this.onBodyEnd);
    this.conn?.socket.off('drain', this.onSocketDrain);
  }

  private readonly onTimeout = (): void => {
    this.timer = undefined;
    if (this.finished || this.phase !== Phase.Head) return;
    this.fail(new LocalHttpError('timeout', 'no response head in time'));
  };

  private cleanup(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.detachBody();
  }

  private fail(err: LocalHttpError): void {
    if (this.finished) return;
    this.settle()?.socket.destroy();
    this.handler.onError(err);
  }

  /** A connection attempt failed, or the connection ended under this exchange. */
  onConnectionLost(err: (Error & { code?: string }) | undefined): void {
    if (this.finished) return;
    const conn = this.conn;
    this.conn = undefined;
    if (this.phase === Phase.UntilClose && !err) {
      this.phase = Phase.Done;
      this.finished = true;
      this.cleanup();
      this.handler.onEnd();
      return;
    }
    // A keep-alive connection the server closed just as we picked it: try once more on a new one.
    if (conn && conn.uses > 0 && !this.responseStarted && !this.bodyStarted && !this.retried) {
      this.retried = true;
      this.detachBody();
      this.req.body?.pause();
      this.client.requeue(this);
      return;
    }
    if (this.responseStarted && this.phase !== Phase.Head) {
      this.fail(new LocalHttpError('aborted', 'the local application cut the response short', err?.code));
    } else {
      this.fail(
        new LocalHttpError(
          'unreachable',
          err ? err.message : 'the local application closed the connection',
          err?.code ?? 'ECONNRESET',
        ),
      );
    }
  }

  onBytes(chunk: Buffer): void {
    this.responseStarted = true;
    let buf = chunk;
    while (buf.length > 0 && !this.finished) {
      switch (this.phase) {
        case Phase.Head: {
          const joined = this.head ? Buffer.concat([this.head, buf]) : buf;
          // Only the new bytes (and the 3 before them) can complete the terminator.
          const from = this.head ? Math.max(0, this.head.length - 3) : 0;
          const end = joined.indexOf(CRLF2, from);
          if (end === -1) {
            if (joined.length > this.client.maxHeadBytes) {
              this.fail(new LocalHttpError('bad-response', 'response head too large'));
              return;
            }
            // A copy: `chunk` may be the shared read buffer, overwritten by the next read.
            this.head = joined === chunk ? Buffer.from(joined) : joined;
            return;
          }
          this.head = undefined;
          if (end > this.client.maxHeadBytes) {
            this.fail(new LocalHttpError('bad-response', 'response head too large'));
            return;
          }
          const parsed = parseHead(joined.toString('latin1', 0, end));
          buf = joined.subarray(end + 4);
          if (!parsed) {
            this.fail(new LocalHttpError('bad-response', 'malformed response head'));
            return;
          }
          if (parsed.status < 200) {
            if (parsed.status === 101) {
              this.fail(new LocalHttpError('bad-response', '101 on a request that asked for no upgrade'));
              return;
            }
            continue; // 100 Continue, 103 Early Hints: the final head follows
          }
          this.onFinalHead(parsed);
          break;
        }
        case Phase.Length: {
          if (buf.length <= this.left) {
            this.left -= buf.length;
            this.deliver(buf);
            buf = EMPTY;
          } else {
            // More than the announced length: deliver the body, never reuse this connection.
            this.keepAlive = false;
            this.deliver(buf.subarray(0, this.left));
            this.left = 0;
            buf = EMPTY;
          }
          if (this.left === 0) this.bodyDone();
          break;
        }
        case Phase.ChunkSize:
        case Phase.ChunkDataEnd:
        case Phase.Trailers: {
          const nl = buf.indexOf(10);
          const part = nl === -1 ? buf : buf.subarray(0, nl + 1);
          this.chunkLine += part.toString('latin1');
          buf = buf.subarray(part.length);
          if (this.chunkLine.length > MAX_CHUNK_LINE) {
            this.fail(new LocalHttpError('bad-response', 'chunk line too long'));
            return;
          }
          if (nl === -1) break;
          const line = this.chunkLine;
          this.chunkLine = '';
          if (!line.endsWith('\r\n')) {
            this.fail(new LocalHttpError('bad-response', 'bare LF in chunked body'));
            return;
          }
          this.onChunkLine(line.slice(0, -2), buf.length);
          break;
        }
        case Phase.ChunkData: {
          const take = Math.min(this.left, buf.length);
          this.left -= take;
          this.deliver(take === buf.length ? buf : buf.subarray(0, take));
          buf = buf.subarray(take);
          if (this.left === 0) this.phase = Phase.ChunkDataEnd;
          break;
        }
        case Phase.UntilClose:
          this.deliver(buf);
          buf = EMPTY;
          break;
        case Phase.Done:
          buf = EMPTY;
          break;
      }
    }
  }

  private onFinalHead(h: ParsedHead): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.keepAlive = h.keepAlive;
    this.handler.onHead(h.status, h.statusText, h.headers);
    if (this.finished) return;
    if (this.req.method === 'HEAD' || h.status === 204 || h.status === 304) {
      this.bodyDone();
    } else if (h.chunked) {
      this.phase = Phase.ChunkSize;
    } else if (h.untilClose || h.contentLength === -1) {
      this.keepAlive = false;
      this.phase = Phase.UntilClose;
    } else if (h.contentLength === 0) {
      this.bodyDone();
    } else {
      this.left = h.contentLength;
      this.phase = Phase.Length;
    }
  }

  /** `rest`: bytes after this line in the chunk at hand. */
  private onChunkLine(line: string, rest: number): void {
    if (this.phase === Phase.ChunkSize) {
      const semi = line.indexOf(';');
      const hex = (semi === -1 ? line : line.slice(0, semi)).trim();
      if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) {
        this.fail(new LocalHttpError('bad-response', 'malformed chunk size'));
        return;
      }
      const size = parseInt(hex, 16);
      if (size === 0) {
        this.phase = Phase.Trailers;
      } else {
        this.left = size;
        this.phase = Phase.ChunkData;
      }
    } else if (this.phase === Phase.ChunkDataEnd) {
      if (line !== '') {
        this.fail(new LocalHttpError('bad-response', 'chunk data longer than its size'));
        return;
      }
      this.phase = Phase.ChunkSize;
    } else if (line === '') {
      // Trailers are not forwarded (the tunnel carries no trailer section); an empty line ends
      // them. Bytes after the end: the server is out of step, so the connection is not reused.
      if (rest > 0) this.keepAlive = false;
      this.bodyDone();
    }
  }

  private deliver(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (!this.handler.onData(chunk) && !this.finished) this.conn?.socket.pause();
  }

  /**
   * The response is complete. If the application answered before the whole request body went
   * out (a 413, say), the response still ends now and the connection is not reused.
   */
  private bodyDone(): void {
    this.phase = Phase.Done;
    this.complete();
  }

  private complete(): void {
    if (this.finished) return;
    const conn = this.settle();
    if (conn) this.client.release(conn, !(this.keepAlive && this.requestSent));
    this.handler.onEnd();
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * Plain-TCP connections read into one buffer shared by all of them (net's `onread`): reads are
 * handled one at a time on the event loop and every consumer copies what it keeps (the tunnel
 * stream copies into its send batch). No buffer is allocated per read, so downloads leave no
 * garbage and read into memory that stays resident and warm (docs/benchmarks.md §1.9).
 */
const sharedRead = Buffer.allocUnsafeSlow(256 * 1024);

export class LocalHttpClient {
  readonly headersTimeoutMs: number;
  readonly maxHeadBytes: number;
  private readonly host: string;
  private readonly hostHeader: string;
  private readonly port: number;
  private readonly secure: boolean;
  private readonly maxConnections: number;
  private readonly idleTimeoutMs: number;
  private readonly idle: Connection[] = [];
  private readonly waiting: Exchange[] = [];
  private readonly all = new Set<Connection>();
  private sweeper: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly opts: LocalHttpClientOptions) {
    const url = new URL(opts.url);
    this.secure = url.protocol === 'https:';
    this.host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    this.hostHeader = url.host;
    this.port = url.port ? Number(url.port) : this.secure ? 443 : 80;
    this.headersTimeoutMs = opts.headersTimeoutMs;
    this.maxHeadBytes = opts.maxHeadBytes ?? 64 * 1024;
    this.maxConnections = opts.maxConnections ?? 256;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 4000;
  }

  /** Open connections (busy and idle). */
  get connections(): number {
    return this.all.size;
  }

  /** Starts a request; throws TypeError (before anything is sent) for a head that cannot be sent safely. */
  request(req: LocalRequest, handler: LocalResponseHandler): Exchange {
    const chunked = req.body !== undefined && !hasHeader(req.headers, 'content-length');
    const ex = new Exchange(this, req, handler, requestHead(req, this.hostHeader, chunked), chunked);
    req.body?.pause();
    if (this.closed) {
      queueMicrotask(() => ex.onConnectionLost(new Error('client closed')));
      return ex;
    }
    this.dispatch(ex);
    return ex;
  }

  private dispatch(ex: Exchange): void {
    const conn = this.idle.pop();
    if (conn) {
      ex.start(conn);
      return;
    }
    if (this.all.size < this.maxConnections) {
      ex.start(this.connect());
      return;
    }
    this.waiting.push(ex);
  }

  /** A retry after a stale keep-alive connection: always on a new connection. */
  requeue(ex: Exchange): void {
    if (this.closed) {
      ex.onConnectionLost(new Error('client closed'));
      return;
    }
    if (this.all.size < this.maxConnections) ex.start(this.connect());
    else this.waiting.unshift(ex);
  }

  dequeue(ex: Exchange): void {
    const i = this.waiting.indexOf(ex);
    if (i !== -1) this.waiting.splice(i, 1);
  }

  private connect(): Connection {
    const socket = this.secure
      ? tls.connect({
          host: this.host,
          port: this.port,
          servername: net.isIP(this.host) ? undefined : this.host,
          ...this.opts.tls,
        })
      : net.connect({
          host: this.host,
          port: this.port,
          onread: {
            buffer: sharedRead,
            callback: (n: number): boolean => {
              // Reads start after connect, so `conn` below is set by then.
              conn.onRead(sharedRead.subarray(0, n));
              return true;
            },
          },
        });
    const conn = new Connection(socket, this, !this.secure);
    this.all.add(conn);
    return conn;
  }

  /** An exchange finished with `conn`: reuse it, or close it. */
  release(conn: Connection, close: boolean): void {
    if (close || conn.closed || this.closed) {
      conn.socket.destroy();
      return;
    }
    conn.uses++;
    conn.socket.resume();
    const next = this.waiting.shift();
    if (next) {
      next.start(conn);
      return;
    }
    conn.idleSince = Date.now();
    this.idle.push(conn);
    this.sweeper ??= setInterval(this.sweep, Math.max(250, this.idleTimeoutMs / 4)).unref();
  }

  /** A connection ended: forget it, and start a waiting request on a new one. */
  forget(conn: Connection): void {
    this.all.delete(conn);
    const i = this.idle.indexOf(conn);
    if (i !== -1) this.idle.splice(i, 1);
    if (!this.closed && this.waiting.length > 0 && this.all.size < this.maxConnections) {
      const next = this.waiting.shift();
      if (next) next.start(this.connect());
    }
  }

  private readonly sweep = (): void => {
    const limit = Date.now() - this.idleTimeoutMs;
    // The oldest idle connections are at the bottom of the stack.
    while (this.idle.length > 0 && this.idle[0].idleSince <= limit) {
      const conn = this.idle.shift();
      conn?.socket.destroy();
    }
    if (this.idle.length === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  };

  close(): void {
    this.closed = true;
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    const waiting = this.waiting.splice(0);
    for (const conn of [...this.all]) conn.socket.destroy();
    for (const ex of waiting) ex.onConnectionLost(new Error('client closed'));
  }
}
