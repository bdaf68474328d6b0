/**
 * Live events with resume (mobile-path §4): one WebSocket to `<api>/api/v1/stream`, subprotocols
 * `lanbridge.stream.v1` and `bearer.<access token>`.
 *
 * States: `connecting` → `open` (after the server's `ready`) → on a drop `reconnecting` (backoff)
 * → `connecting` … until close() or a refusal that retrying cannot fix → `closed`.
 *
 * Each connection: on the first `ready`, send `{"type":"resume","after":<last id>}` (the last id
 * delivered, else the `after` option, else the `ready` cursor: live from now), or `{"type":"resume"}`
 * with resumeFromServer. The server holds live messages until that first message, so the stream is
 * one increasing sequence. Every event with an `id` is delivered at most once (ids already seen are
 * dropped); the highest delivered id is acknowledged with `{"type":"ack","id"}`, coalesced (at most
 * one ack per ackDelayMs: the server queues at most 32 client messages). Before
 * the access token expires a fresh one is sent as `{"type":"auth","token"}`. A `ping` goes out
 * every pingIntervalMs; a connection silent for 2.5 pings is treated as dead (a cut tunnel does
 * not always close the TCP connection), dropped and reopened.
 */
import { LanbridgeError, SdkErrorCode } from './errors';
import { backoffDelay, type Runtime, type WebSocketConstructor, type WebSocketLike } from './runtime';

export const STREAM_PATH = '/api/v1/stream';
export const STREAM_SUBPROTOCOL = 'lanbridge.stream.v1';

/** Server close codes (access-core realtime/stream.gateway.ts). */
export const StreamCloseCode = {
  BAD_MESSAGE: 4400,
  UNAUTHENTICATED: 4401,
  OTHER_USER: 4403,
  AUTH_TIMEOUT: 4408,
  TOO_SLOW: 4429,
  GOING_AWAY: 1001,
} as const;

/** An event from the site: `alarm`, `device-status`, `notification`, or a newer type. */
export interface StreamEvent {
  /** Decimal id, increasing; absent from servers without resume. */
  readonly id: string | undefined;
  readonly type: string;
  readonly data: unknown;
}

export type StreamStatus =
  | { readonly state: 'connecting'; readonly attempt: number }
  | {
      readonly state: 'open';
      readonly role: string | undefined;
      readonly expiresAt: string | undefined;
      readonly cursor: string | undefined;
    }
  | { readonly state: 'reconnecting'; readonly attempt: number; readonly delayMs: number; readonly reason: string }
  | { readonly state: 'closed'; readonly reason: string; readonly error?: LanbridgeError };

export interface WatchOptions {
  /** Called once per event, in order; the next event waits for a returned promise. */
  readonly onEvent: (event: StreamEvent) => void | Promise<void>;
  readonly onStatus?: (status: StreamStatus) => void;
  /** An onEvent failure (the event still counts as delivered). */
  readonly onError?: (err: unknown, event: StreamEvent) => void;
  /** Replay everything after this id on the first connection (e.g. the id saved by the app). */
  readonly after?: string;
  /** Without `after`: resume from the position the server recorded from this session's acks. */
  readonly resumeFromServer?: boolean;
  /** Default 25 s. */
  readonly pingIntervalMs?: number;
  /** Give up an opening handshake after this long (default 15 s). */
  readonly connectTimeoutMs?: number;
  /** Reconnect backoff (default 500 ms doubling to 30 s, with jitter). */
  readonly reconnectInitialDelayMs?: number;
  readonly reconnectMaxDelayMs?: number;
  /** Send a fresh token this long before the current one expires (default 60 s). */
  readonly reauthLeewayS?: number;
  /** Acknowledge at most this often (default 250 ms). */
  readonly ackDelayMs?: number;
  /**
   * After a resume: how many stored events were replayed. `truncated` means events after `after`
   * are no longer stored (older than 7 days): reload lists over REST.
   */
  readonly onResumed?: (info: ResumeInfo) => void;
}

export interface ResumeInfo {
  readonly after: string | undefined;
  readonly replayed: number;
  readonly truncated: boolean;
}

/** What the stream needs from the client. */
export interface StreamDeps {
  readonly rt: Runtime;
  readonly url: string;
  readonly WebSocket: WebSocketConstructor;
  /** A token valid for at least `minValidityS` (refreshing when needed). */
  readonly token: (minValidityS: number) => Promise<string>;
  /** A new token even if the current one looks valid (the server refused it). */
  readonly forceRefresh: () => Promise<string>;
}

const OPEN = 1;
const SEEN_LIMIT = 2048;

/** Compares decimal id strings without BigInt (ids are bigserial). */
export function compareIds(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}

const DECIMAL = /^\d{1,20}$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isRetryableTokenError(err: unknown): boolean {
  if (!(err instanceof LanbridgeError)) return false;
  return (
    err.code === SdkErrorCode.NETWORK ||
    err.code === SdkErrorCode.TIMEOUT ||
    err.status === 429 ||
    (err.status !== undefined && err.status >= 500)
  );
}

/** A live stream; see the module comment. */
export class LiveStream {
  private ws: WebSocketLike | undefined;
  private attempt = 0;
  private failuresBeforeOpen = 0;
  private stopped = false;
  private lastIdValue: string | undefined;
  /** Ids at or below the floor count as seen; above it, the bounded set decides. */
  private floor: string | undefined;
  private readonly seen = new Set<string>();
  private queue: Promise<void> = Promise.resolve();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private reauthTimer: ReturnType<typeof setTimeout> | undefined;
  private ackTimer: ReturnType<typeof setTimeout> | undefined;
  /** Highest delivered id not yet acknowledged on the current connection. */
  private unacked: string | undefined;
  private lastHeard = 0;
  private readonly doneResolvers: (() => void)[] = [];
  private finished = false;
  private readonly opts: Required<
    Pick<
      WatchOptions,
      | 'pingIntervalMs'
      | 'connectTimeoutMs'
      | 'reconnectInitialDelayMs'
      | 'reconnectMaxDelayMs'
      | 'reauthLeewayS'
      | 'ackDelayMs'
    >
  >;

  constructor(
    private readonly deps: StreamDeps,
    private readonly watch: WatchOptions,
  ) {
    this.opts = {
      pingIntervalMs: watch.pingIntervalMs ?? 25_000,
      connectTimeoutMs: watch.connectTimeoutMs ?? 15_000,
      reconnectInitialDelayMs: watch.reconnectInitialDelayMs ?? 500,
      reconnectMaxDelayMs: watch.reconnectMaxDelayMs ?? 30_000,
      reauthLeewayS: watch.reauthLeewayS ?? 60,
      ackDelayMs: watch.ackDelayMs ?? 250,
    };
    if (watch.after !== undefined) {
      if (!DECIMAL.test(watch.after))
        throw new LanbridgeError(SdkErrorCode.INVALID_ARGUMENT, 'after must be a decimal id');
      this.lastIdValue = watch.after;
      this.floor = watch.after;
    }
    void this.connect();
  }

  /** The id of the last event delivered (save it to resume after an app restart). */
  get lastId(): string | undefined {
    return this.lastIdValue;
  }

  /** Resolves once the stream is closed for good. */
  get done(): Promise<void> {
    if (this.finished) return Promise.resolve();
    return new Promise((resolve) => this.doneResolvers.push(resolve));
  }

  /** Stops for good (no reconnect). */
  close(): void {
    this.finish('closed by the app');
  }

  private status(s: StreamStatus): void {
    try {
      this.watch.onStatus?.(s);
    } catch {
      // a status listener's failure must not break the stream
    }
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.attempt += 1;
    this.status({ state: 'connecting', attempt: this.attempt });
    let token: string;
    try {
      token =
        this.failuresBeforeOpen >= 3
          ? await this.deps.forceRefresh()
          : await this.deps.token(this.opts.reauthLeewayS + 5);
      if (this.failuresBeforeOpen >= 3) this.failuresBeforeOpen = 0;
    } catch (err) {
      if (isRetryableTokenError(err)) {
        this.retry(`cannot get an access token: ${(err as Error).message}`);
        return;
      }
      this.finish('not signed in', err instanceof LanbridgeError ? err : undefined);
      return;
    }
    if (this.stopped) return;
    let ws: WebSocketLike;
    try {
      ws = new this.deps.WebSocket(this.deps.url, [STREAM_SUBPROTOCOL, `bearer.${token}`]) as WebSocketLike;
    } catch (err) {
      this.finish(
        'cannot open a WebSocket',
        new LanbridgeError(SdkErrorCode.INVALID_ARGUMENT, String(err), { cause: err }),
      );
      return;
    }
    this.ws = ws;
    let opened = false;
    let resumed = false;
    const connectTimer = setTimeout(
      () => this.drop(ws, 'the connection did not open in time'),
      this.opts.connectTimeoutMs,
    );
    ws.onopen = () => {
      opened = true;
      clearTimeout(connectTimer);
      this.lastHeard = this.deps.rt.now();
      this.startPing(ws);
    };
    ws.onmessage = (ev) => {
      this.lastHeard = this.deps.rt.now();
      const msg = this.parse(ev.data);
      if (!msg) return;
      if (msg.type === 'ready') {
        this.onReady(ws, msg, resumed);
        resumed = true;
        return;
      }
      if (msg.type === 'pong') return;
      if (msg.type === 'resumed') {
        this.onResumed(msg);
        return;
      }
      this.enqueue(ws, { id: typeof msg.id === 'string' ? msg.id : undefined, type: msg.type, data: msg.data });
    };
    ws.onerror = () => undefined; // the close that follows carries what matters
    ws.onclose = (ev) => {
      clearTimeout(connectTimer);
      if (this.ws !== ws) return; // already dropped
      this.ws = undefined;
      this.stopTimers();
      if (!opened) this.failuresBeforeOpen += 1;
      this.onClosed(ev.code, ev.reason);
    };
  }

  private parse(data: unknown): (Record<string, unknown> & { type: string }) | undefined {
    let text: string;
    if (typeof data === 'string') text = data;
    else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data))
      text = new TextDecoder().decode(data as ArrayBuffer);
    else return undefined;
    try {
      const v = JSON.parse(text) as unknown;
      return isRecord(v) && typeof v.type === 'string' ? (v as Record<string, unknown> & { type: string }) : undefined;
    } catch {
      return undefined;
    }
  }

  private onReady(ws: WebSocketLike, msg: Record<string, unknown>, alreadyResumed: boolean): void {
    const cursor = typeof msg.cursor === 'string' && DECIMAL.test(msg.cursor) ? msg.cursor : undefined;
    const expiresAt = typeof msg.expiresAt === 'string' ? msg.expiresAt : undefined;
    this.scheduleReauth(ws, expiresAt);
    if (alreadyResumed) return; // a `ready` answering a re-auth
    this.attempt = 0;
    this.failuresBeforeOpen = 0;
    if (this.lastIdValue === undefined && !this.watch.resumeFromServer && cursor !== undefined) {
      // Live from here; a later reconnect resumes after this point, so nothing is missed.
      this.lastIdValue = cursor;
      this.floor = cursor;
    }
    // The first message after `ready` also releases the live messages the server holds back.
    if (this.lastIdValue !== undefined) this.send(ws, { type: 'resume', after: this.lastIdValue });
    else if (this.watch.resumeFromServer) this.send(ws, { type: 'resume' });
    else this.send(ws, { type: 'ping' });
    this.status({ state: 'open', role: typeof msg.role === 'string' ? msg.role : undefined, expiresAt, cursor });
  }

  private onResumed(msg: Record<string, unknown>): void {
    const info: ResumeInfo = {
      after: typeof msg.after === 'string' ? msg.after : undefined,
      replayed: typeof msg.replayed === 'number' ? msg.replayed : 0,
      truncated: msg.truncated === true,
    };
    try {
      this.watch.onResumed?.(info);
    } catch {
      // the app's listener failing must not break the stream
    }
  }

  private isDuplicate(id: string): boolean {
    return this.seen.has(id) || (this.floor !== undefined && compareIds(id, this.floor) <= 0);
  }

  private markSeen(id: string): void {
    this.seen.add(id);
    if (this.lastIdValue === undefined || compareIds(id, this.lastIdValue) > 0) this.lastIdValue = id;
    if (this.seen.size > SEEN_LIMIT) {
      const oldest = this.seen.values().next().value as string;
      this.seen.delete(oldest);
      if (this.floor === undefined || compareIds(oldest, this.floor) > 0) this.floor = oldest;
    }
  }

  private enqueue(ws: WebSocketLike, event: StreamEvent): void {
    if (event.id !== undefined) {
      if (!DECIMAL.test(event.id) || this.isDuplicate(event.id)) return;
      this.markSeen(event.id);
    }
    this.queue = this.queue.then(async () => {
      if (this.stopped) return;
      try {
        await this.watch.onEvent(event);
      } catch (err) {
        try {
          this.watch.onError?.(err, event);
        } catch {
          // ignore
        }
      }
      if (event.id !== undefined && this.ws === ws) this.ack(ws, event.id);
    });
  }

  /** Acknowledges `id` (and everything before it), at most once per ackDelayMs. */
  private ack(ws: WebSocketLike, id: string): void {
    if (this.unacked === undefined || compareIds(id, this.unacked) > 0) this.unacked = id;
    if (this.ackTimer !== undefined) return;
    this.ackTimer = setTimeout(() => {
      this.ackTimer = undefined;
      const pending = this.unacked;
      this.unacked = undefined;
      if (pending !== undefined && this.ws === ws) this.send(ws, { type: 'ack', id: pending });
    }, this.opts.ackDelayMs);
  }

  private send(ws: WebSocketLike, msg: Record<string, unknown>): void {
    if (ws.readyState !== OPEN) return;
    try {
      ws.send(JSON.stringify(msg));
    } catch {
      // the close handler takes over
    }
  }

  private startPing(ws: WebSocketLike): void {
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      if (this.deps.rt.now() - this.lastHeard > this.opts.pingIntervalMs * 2.5) {
        this.drop(ws, 'no heartbeat from the server');
        return;
      }
      this.send(ws, { type: 'ping' });
    }, this.opts.pingIntervalMs);
  }

  private scheduleReauth(ws: WebSocketLike, expiresAt: string | undefined): void {
    clearTimeout(this.reauthTimer);
    const exp = expiresAt ? Date.parse(expiresAt) : NaN;
    if (!Number.isFinite(exp)) return;
    const remaining = exp - this.deps.rt.now();
    const wait = Math.max(0, Math.min(remaining - this.opts.reauthLeewayS * 1000, remaining * 0.8));
    this.reauthTimer = setTimeout(() => {
      void this.deps
        .token(this.opts.reauthLeewayS + 5)
        .then((token) => this.send(ws, { type: 'auth', token }))
        .catch(() => {
          // the server closes with 4401 at expiry; the reconnect path refreshes or gives up
        });
    }, wait);
  }

  private stopTimers(): void {
    clearInterval(this.pingTimer);
    clearTimeout(this.reauthTimer);
    clearTimeout(this.ackTimer);
    this.pingTimer = undefined;
    this.reauthTimer = undefined;
    this.ackTimer = undefined;
    this.unacked = undefined; // the next connection resumes after lastId, which says the same
  }

  /** Forgets a socket that is dead or stuck and reconnects at once (its close may take long). */
  private drop(ws: WebSocketLike, reason: string): void {
    if (this.ws !== ws) return;
    this.ws = undefined;
    this.stopTimers();
    ws.onopen = ws.onmessage = ws.onclose = null;
    ws.onerror = () => undefined;
    try {
      ws.close(4000, reason);
    } catch {
      // already closing
    }
    this.retry(reason);
  }

  private onClosed(code: number, reason: string): void {
    if (this.stopped) return;
    if (code === StreamCloseCode.OTHER_USER || code === StreamCloseCode.BAD_MESSAGE) {
      this.finish(
        `the server closed the stream (${code}${reason ? `: ${reason}` : ''})`,
        new LanbridgeError(SdkErrorCode.STREAM_CLOSED, reason || `closed with ${code}`),
      );
      return;
    }
    if (code === StreamCloseCode.UNAUTHENTICATED) this.failuresBeforeOpen = 3; // refresh before reconnecting
    this.retry(`closed (${code}${reason ? `: ${reason}` : ''})`);
  }

  private retry(reason: string): void {
    if (this.stopped) return;
    const delayMs = backoffDelay(
      Math.max(1, this.attempt),
      this.opts.reconnectInitialDelayMs,
      this.opts.reconnectMaxDelayMs,
      this.deps.rt,
    );
    this.status({ state: 'reconnecting', attempt: this.attempt + 1, delayMs, reason });
    this.later(delayMs, () => void this.connect());
  }

  private finish(reason: string, error?: LanbridgeError): void {
    if (this.stopped) return;
    this.stopped = true;
    this.stopTimers();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const ws = this.ws;
    this.ws = undefined;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      ws.onerror = () => undefined;
      try {
        ws.close(1000, 'bye');
      } catch {
        // ignore
      }
    }
    this.status(error ? { state: 'closed', reason, error } : { state: 'closed', reason });
    void this.queue.then(() => {
      this.finished = true;
      for (const r of this.doneResolvers.splice(0)) r();
    });
  }
}
