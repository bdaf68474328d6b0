/**
 * The multiplexing session over one MessageTransport (SPEC.md §5–§9).
 *
 * Write path: frames produced in one turn (setImmediate by default) are copied into one pooled
 * send buffer and go out as a single transport message (one copy, one send); the buffer is reused
 * once the transport is done with it (send-arena.ts). DATA is split into maxFramePayload chunks by the
 * streams and never exceeds the peer's credit; all writers pause while the transport holds more
 * than transportHighWaterMark bytes and resume on drain.
 *
 * Read path: each message is walked once with a FrameReader; DATA payloads are subarrays of the
 * message. No JSON and no closures per DATA frame.
 *
 * Robustness: nothing a peer sends throws out of `handleMessage`; session errors close the
 * transport with the code's close number and the code string as reason, stream errors RESET the
 * one stream. Each is logged once.
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Logger } from '@lanbridge/logging';
import type {
  ControlMessage,
  MessageTransport,
  RequestHead,
  ResponseHead,
  SessionEvents,
  SessionRole,
  SessionState,
  SessionStats,
  TunnelSession,
  TunnelStream,
} from './api';
import { PROTOCOL_VERSIONS } from './api';
import { takeBacklog } from './backlog';
import {
  FrameFlag,
  FrameReader,
  FrameType,
  FRAME_TYPE_NAMES,
  HEADER_SIZE,
  MAX_WINDOW,
  encodeGoAway,
  encodePing,
  encodeReset,
  encodeWindow,
  parseGoAway,
  parseReset,
  writeHeader,
} from './codec';
import { type TunnelConfig, resolveTunnelConfig } from './config';
import {
  TUNNEL_ERROR_TABLE,
  TunnelError,
  TunnelErrorCode,
  codeFromCloseFrame,
  codeFromReset,
  wireCloseCode,
} from './errors';
import { type ArenaPool, arenaPool } from './send-arena';
import { type StreamHost, TunnelStreamImpl } from './stream';
import { StreamTable } from './stream-table';

export interface SessionOptions {
  /** Overrides of `defaultTunnelConfig()`; checked by `verifyTunnelConfig()` (throws when unsound). */
  readonly config?: Partial<TunnelConfig>;
  /** Negotiated protocol version (from the handshake). Default: the newest this build speaks. */
  readonly version?: number;
  /** Parent logger; the session logs through a child bound to role and remote address. */
  readonly logger?: Logger;
  /**
   * When queued frames are sent: 'immediate' (default) joins the frames of all I/O callbacks
   * of one event-loop turn into one message (under load, one write for many requests: the
   * broker measured one WebSocket write per request with 'microtask', about one per four with
   * 'immediate'), at the cost of a few µs; 'microtask' joins only what one callback produced.
   */
  readonly coalesce?: 'microtask' | 'immediate';
}

const noop = (): void => undefined;

const MAX_STREAM_ID = 0xffffffff;

interface PendingPing {
  readonly start: number;
  readonly resolve: (ms: number) => void;
  readonly reject: (e: TunnelError) => void;
  readonly timer: NodeJS.Timeout;
}

function isStringList(v: unknown): v is string[] {
  return Array.isArray(v) && v.length % 2 === 0 && v.every((x) => typeof x === 'string');
}

function parseJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** Validate an OPEN payload. */
export function parseRequestHead(payload: Buffer): RequestHead | undefined {
  const o = asRecord(parseJson(payload));
  if (!o || typeof o.method !== 'string' || typeof o.path !== 'string' || !isStringList(o.headers)) return undefined;
  if (o.upgrade !== undefined && typeof o.upgrade !== 'boolean') return undefined;
  return { method: o.method, path: o.path, headers: o.headers, upgrade: o.upgrade === true };
}

/** Validate a HEAD payload. */
export function parseResponseHead(payload: Buffer): ResponseHead | undefined {
  const o = asRecord(parseJson(payload));
  if (!o || typeof o.status !== 'number' || !Number.isInteger(o.status) || o.status < 100 || o.status > 999) {
    return undefined;
  }
  if (!isStringList(o.headers)) return undefined;
  if (o.statusText !== undefined && typeof o.statusText !== 'string') return undefined;
  return o.statusText === undefined
    ? { status: o.status, headers: o.headers }
    : { status: o.status, statusText: o.statusText, headers: o.headers };
}

/** Shortest interval between credit returns that still counts as a reader keeping up (auto-tuning). */
const WINDOW_GROW_MIN_MS = 20;

class Session extends EventEmitter implements TunnelSession, StreamHost {
  readonly version: number;
  readonly maxFramePayload: number;
  readonly maxHeaderBytes: number;
  readonly initialStreamWindow: number;
  readonly maxStreamWindow: number;
  flushGen = 0;
  /** What is left of config.sessionWindowGrowth; streams give theirs back when they end. */
  private windowGrowthLeft: number;
  writesPaused = false;

  private _state: SessionState = 'open';
  private readonly config: TunnelConfig;
  private readonly log: Logger | undefined;
  private readonly streams = new StreamTable<TunnelStreamImpl>();
  /**
   * Streams waiting for the transport to drain, each once (`waitingDrain`). An array rather than
   * a Set, for the reason in stream-table.ts: a Set cleared on every drain leaves a chain of
   * tables.
   */
  private blocked: TunnelStreamImpl[] = [];
  /** Parity bit of the ids we open: connector odd (1), broker even (0). */
  private readonly localParity: number;
  private nextLocalId: number;
  private lastPeerId = 0;
  private localOpen = 0;
  private peerOpen = 0;
  private peerGoingAway = false;

  /** The batch being built: frames are copied into a pooled arena, sent as one message. */
  private arena: Buffer | undefined;
  private outBytes = 0;
  private readonly arenas: ArenaPool;
  private flushScheduled = false;
  /**
   * Target size of one transport message. Small frames are joined up to it; a batch never waits
   * to grow to maxMessageBytes, because the receiver (a WebSocket) only sees a message once all
   * of it has arrived: 4 MiB messages turned bulk transfers into stop-and-wait. About one full
   * frame keeps sender and receiver working at the same time.
   */
  private readonly batchBytes: number;
  private readonly flushFn = (): void => this.flush();
  private readonly schedule: (fn: () => void) => void;

  private readonly pings = new Map<number, PendingPing>();
  private pingSeq = 0;
  private lastRecvAt = performance.now();
  private pingTimer: NodeJS.Timeout | undefined;
  private aliveTimer: NodeJS.Timeout | undefined;
  private drainTimer: NodeJS.Timeout | undefined;
  private replay: Buffer[] | undefined;

  private bytesIn = 0;
  private bytesOut = 0;
  private framesIn = 0;
  private framesOut = 0;
  private rttMs: number | undefined;

  constructor(
    private readonly transport: MessageTransport,
    readonly role: SessionRole,
    opts: SessionOptions,
  ) {
    super();
    this.config = resolveTunnelConfig(opts.config);
    this.batchBytes = Math.min(this.config.maxMessageBytes, this.config.maxFramePayload + HEADER_SIZE);
    this.arenas = arenaPool(this.batchBytes);
    this.version = opts.version ?? PROTOCOL_VERSIONS[0];
    this.maxFramePayload = this.config.maxFramePayload;
    this.maxHeaderBytes = this.config.maxHeaderBytes;
    this.initialStreamWindow = this.config.initialStreamWindow;
    this.maxStreamWindow = this.config.maxStreamWindow;
    this.windowGrowthLeft = this.config.sessionWindowGrowth;
    this.localParity = role === 'connector' ? 1 : 0;
    this.nextLocalId = role === 'connector' ? 1 : 2;
    this.log = opts.logger?.child({ component: 'tunnel-session', role, remote: transport.remoteAddress });
    this.schedule = opts.coalesce === 'microtask' ? queueMicrotask : (fn) => void setImmediate(fn);

    const backlog = takeBacklog(transport);
    transport.onMessage((m) => {
      if (this.replay) this.replay.push(m);
      else this.handleMessage(m);
    });
    transport.onClose((code, reason) => this.onTransportClose(code, reason));
    transport.onDrain(() => this.onDrain());

    if (backlog && (backlog.messages.length > 0 || backlog.closed)) {
      // Replay on the next turn so the caller can attach its listeners first.
      const replay = (this.replay = [...backlog.messages]);
      const closed = backlog.closed;
      setImmediate(() => {
        for (let i = 0; i < replay.length && this._state !== 'closed'; i++) this.handleMessage(replay[i]);
        this.replay = undefined;
        if (closed) this.onTransportClose(closed.code, closed.reason);
      });
    }

    this.pingTimer = setInterval(() => void this.ping().catch(noop), this.config.pingIntervalMs);
    this.pingTimer.unref();
    this.armAliveTimer(this.config.pingTimeoutMs);
  }

  get state(): SessionState {
    return this._state;
  }

  get stats(): SessionStats {
    return {
      openStreams: this.streams.size,
      rttMs: this.rttMs,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      framesIn: this.framesIn,
      framesOut: this.framesOut,
    };
  }

  /** A method, so TypeScript does not narrow the state across calls that may close the session. */
  private isClosed(): boolean {
    return this._state === 'closed';
  }

  // ---- public API --------------------------------------------------------------------------

  openStream(head: RequestHead): TunnelStream {
    if (this._state === 'closed') throw new TunnelError(TunnelErrorCode.CONNECTION_LOST, 'session is closed');
    if (this._state === 'draining') throw new TunnelError(TunnelErrorCode.GOING_AWAY, 'session is draining');
    if (this.peerGoingAway) throw new TunnelError(TunnelErrorCode.GOING_AWAY, 'peer sent GOAWAY');
    if (this.localOpen >= this.config.maxConcurrentStreams) {
      throw new TunnelError(TunnelErrorCode.STREAM_LIMIT, `${this.localOpen} streams open, limit reached`);
    }
    if (this.nextLocalId > MAX_STREAM_ID) {
      this.goAway(TunnelErrorCode.GOING_AWAY, 'stream ids exhausted');
      throw new TunnelError(TunnelErrorCode.GOING_AWAY, 'stream ids exhausted');
    }
    const payload = Buffer.from(JSON.stringify(head), 'utf8');
    if (payload.length > this.maxHeaderBytes) {
      throw new TunnelError(
        TunnelErrorCode.HEADER_TOO_LARGE,
        `request head is ${payload.length} bytes, limit ${this.maxHeaderBytes}`,
      );
    }
    const id = this.nextLocalId;
    this.nextLocalId += 2;
    const frame = this.queueFrame(FrameType.OPEN, 0, id, payload);
    const s = new TunnelStreamImpl(this, id, true, head, frame);
    this.streams.set(id, s);
    this.localOpen++;
    return s;
  }

  ping(): Promise<number> {
    if (this._state === 'closed') {
      return Promise.reject(new TunnelError(TunnelErrorCode.CONNECTION_LOST, 'session is closed'));
    }
    const seq = ++this.pingSeq;
    const payload = Buffer.alloc(8);
    payload.writeUInt32BE(Math.floor(seq / 0x100000000), 0);
    payload.writeUInt32BE(seq >>> 0, 4);
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pings.delete(seq);
        reject(new TunnelError(TunnelErrorCode.TIMEOUT, `ping not answered within ${this.config.pingTimeoutMs} ms`));
      }, this.config.pingTimeoutMs);
      timer.unref();
      this.pings.set(seq, { start: performance.now(), resolve, reject, timer });
      this.queue(encodePing(payload, false));
    });
  }

  sendMessage(message: ControlMessage): void {
    if (this._state === 'closed') throw new TunnelError(TunnelErrorCode.CONNECTION_LOST, 'session is closed');
    const payload = Buffer.from(JSON.stringify(message), 'utf8');
    if (payload.length > this.maxFramePayload) {
      throw new TunnelError(TunnelErrorCode.FRAME_TOO_LARGE, `control message is ${payload.length} bytes`);
    }
    this.queueFrame(FrameType.MESSAGE, 0, 0, payload);
  }

  goAway(code: TunnelErrorCode = TunnelErrorCode.GOING_AWAY, reason = ''): void {
    if (this._state !== 'open') return;
    this._state = 'draining';
    this.log?.info({ code, reason, openStreams: this.streams.size }, 'tunnel draining (GOAWAY sent)');
    this.queue(encodeGoAway(this.lastPeerId, TUNNEL_ERROR_TABLE[code].reset, reason));
    if (this.streams.size === 0) {
      this.schedule(() => this.finishDrain());
      return;
    }
    this.drainTimer = setTimeout(() => {
      for (const s of this.streams.values()) s.reset(TunnelErrorCode.GOING_AWAY, 'drain timeout');
      this.finishDrain();
    }, this.config.drainTimeoutMs);
    this.drainTimer.unref();
  }

  close(error?: TunnelError): void {
    if (this._state === 'closed') return;
    this.flush();
    if (error) this.transport.close(wireCloseCode(error.code), error.code);
    else this.transport.close(1000, '');
    this.finalize(error, error?.code ?? TunnelErrorCode.CONNECTION_LOST);
  }

  override on<E extends keyof SessionEvents>(event: E, listener: SessionEvents[E]): this {
    return super.on(event, listener);
  }

  override once<E extends keyof SessionEvents>(event: E, listener: SessionEvents[E]): this {
    return super.once(event, listener);
  }

  override off<E extends keyof SessionEvents>(event: E, listener: SessionEvents[E]): this {
    return super.off(event, listener);
  }

  // ---- StreamHost --------------------------------------------------------------------------

  queueData(streamId: number, payload: Buffer | undefined, fin: boolean): Buffer {
    return this.queueFrame(FrameType.DATA, fin ? FrameFlag.FIN : 0, streamId, payload);
  }

  queueHead(streamId: number, payload: Buffer): Buffer {
    return this.queueFrame(FrameType.HEAD, 0, streamId, payload);
  }

  queueWindow(streamId: number, increment: number): void {
    this.queue(encodeWindow(streamId, increment));
  }

  queueReset(streamId: number, code: TunnelErrorCode, message: string): void {
    if (this._state === 'closed') return;
    this.queue(encodeReset(streamId, TUNNEL_ERROR_TABLE[code].reset, message));
  }

  blockOnDrain(stream: TunnelStreamImpl): void {
    if (stream.waitingDrain) return;
    stream.waitingDrain = true;
    this.blocked.push(stream);
  }

  /** 20 ms, or two round trips on a slower link: a reader that returns credit faster is window-bound. */
  get windowGrowMs(): number {
    return Math.max(WINDOW_GROW_MIN_MS, 2 * (this.rttMs ?? 0));
  }

  reserveWindowGrowth(bytes: number): number {
    const granted = Math.min(bytes, this.windowGrowthLeft);
    this.windowGrowthLeft -= granted;
    return granted;
  }

  streamEnded(stream: TunnelStreamImpl): void {
    if (!this.streams.delete(stream.id)) return;
    this.windowGrowthLeft += stream.grown;
    stream.grown = 0;
    if ((stream.id & 1) === this.localParity) this.localOpen--;
    else this.peerOpen--;
    // Left in `blocked` until the next drain, where pump() ignores a finished stream.
    if (this._state === 'draining' && this.streams.size === 0) this.schedule(() => this.finishDrain());
  }

  // ---- write path --------------------------------------------------------------------------

  /**
   * Copies one frame (header written in place, then the payload) into the batch and returns
   * the copy: its byte 1 (flags) may be patched until the next flush (FIN on the last frame).
   * The caller's payload is not referenced afterwards.
   */
  private queueFrame(type: number, flags: number, streamId: number, payload: Buffer | undefined): Buffer {
    const len = payload ? payload.length : 0;
    const size = HEADER_SIZE + len;
    const at = this.reserve(size);
    if (at === -1) return Buffer.alloc(HEADER_SIZE); // closed: nothing is sent; the caller may patch its flags
    const arena = this.arena as Buffer;
    writeHeader(arena, at, type, flags, streamId, len);
    if (payload && len > 0) payload.copy(arena, at + HEADER_SIZE);
    this.framesOut++;
    return arena.subarray(at, at + size);
  }

  private queue(frame: Buffer): void {
    const at = this.reserve(frame.length);
    if (at === -1) return;
    frame.copy(this.arena as Buffer, at);
    this.framesOut++;
  }

  /**
   * Room for `size` bytes in the batch: sends the batch first if it would outgrow batchBytes.
   * Returns the offset, or -1 once the session is closed (nothing is sent any more).
   */
  private reserve(size: number): number {
    if (this._state === 'closed') return -1;
    if (this.outBytes > 0 && this.outBytes + size > this.batchBytes) this.sendBatch();
    // A frame never exceeds batchBytes (config check: maxMessageBytes holds a full frame).
    this.arena ??= this.arenas.take();
    const at = this.outBytes;
    this.outBytes += size;
    this.scheduleFlush();
    return at;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    this.schedule(this.flushFn);
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.outBytes > 0) this.sendBatch();
  }

  private sendBatch(): void {
    this.flushGen++;
    const arena = this.arena;
    const total = this.outBytes;
    this.arena = undefined;
    this.outBytes = 0;
    if (!arena || total === 0) return;
    if (this._state === 'closed') {
      this.arenas.give(arena);
      return;
    }
    this.bytesOut += total;
    if (total < this.arenas.size / 2) {
      // A small batch goes out as a copy of its own size and the arena is reused at once: a
      // message waiting on a slow link must not pin a whole arena for a few bytes.
      const message = Buffer.allocUnsafe(total);
      arena.copy(message, 0, 0, total);
      this.arenas.give(arena);
      this.transport.send(message);
    } else {
      this.transport.send(arena.subarray(0, total), () => this.arenas.give(arena));
    }
    if (!this.writesPaused && this.transport.bufferedAmount > this.config.transportHighWaterMark) {
      this.writesPaused = true;
    }
  }

  private onDrain(): void {
    if (!this.writesPaused || this.transport.bufferedAmount > this.config.transportHighWaterMark) return;
    this.writesPaused = false;
    const list = this.blocked;
    this.blocked = [];
    for (const s of list) {
      s.waitingDrain = false;
      if (this.writesPaused) this.blockOnDrain(s);
      else s.pump();
    }
  }

  // ---- read path ---------------------------------------------------------------------------

  /** Entry point for every transport message. Never throws. */
  handleMessage(message: Buffer): void {
    if (this._state === 'closed') return;
    this.lastRecvAt = performance.now();
    this.bytesIn += message.length;
    try {
      if (message.length > this.config.maxMessageBytes) {
        this.fail(
          TunnelErrorCode.FRAME_TOO_LARGE,
          `message of ${message.length} bytes exceeds maxMessageBytes ${this.config.maxMessageBytes}`,
        );
        return;
      }
      if (message.length === 0) {
        this.fail(TunnelErrorCode.PROTOCOL, 'empty message');
        return;
      }
      const r = new FrameReader(message, this.maxFramePayload);
      while (!this.isClosed() && r.next()) {
        this.framesIn++;
        this.handleFrame(r.type, r.flags, r.streamId, r.payload);
      }
      if (r.error && !this.isClosed()) {
        this.fail(r.error.code, `${r.error.message} at offset ${r.error.offset}`);
      }
    } catch (e) {
      this.log?.error({ err: e }, 'tunnel session bug while handling a message');
      this.close(new TunnelError(TunnelErrorCode.INTERNAL, 'internal error', { cause: e }));
    }
  }

  private handleFrame(type: FrameType, flags: number, id: number, payload: Buffer): void {
    const isStreamFrame = type <= FrameType.RESET;
    if (isStreamFrame ? id === 0 : id !== 0) {
      this.fail(TunnelErrorCode.PROTOCOL, `${FRAME_TYPE_NAMES[type]} on stream ${id}`);
      return;
    }
    switch (type) {
      case FrameType.DATA:
        this.onDataFrame(id, flags, payload);
        return;
      case FrameType.OPEN:
        this.onOpenFrame(id, flags, payload);
        return;
      case FrameType.HEAD:
        this.onHeadFrame(id, flags, payload);
        return;
      case FrameType.WINDOW:
        this.onWindowFrame(id, payload);
        return;
      case FrameType.RESET: {
        const s = this.lookup(id, 'RESET');
        if (!s) return;
        const { resetNumber, message } = parseReset(payload);
        const code = codeFromReset(resetNumber);
        this.log?.debug({ streamId: id, code, message }, 'stream reset by peer');
        s.terminate(new TunnelError(code, message || 'reset by peer'));
        return;
      }
      case FrameType.PING:
        this.onPingFrame(flags, payload);
        return;
      case FrameType.GOAWAY:
        this.onGoAwayFrame(payload);
        return;
      case FrameType.MESSAGE: {
        const o = asRecord(parseJson(payload));
        if (!o || typeof o.type !== 'string') {
          this.fail(TunnelErrorCode.PROTOCOL, 'MESSAGE is not a JSON object with a string type');
          return;
        }
        this.emit('message', o);
        return;
      }
      case FrameType.HELLO:
      case FrameType.AUTH:
      case FrameType.READY:
        this.fail(TunnelErrorCode.PROTOCOL, `${FRAME_TYPE_NAMES[type]} after the handshake`);
        return;
    }
  }

  /**
   * The live stream for `id`, or undefined when the frame is to be ignored (stream finished)
   * or the session was failed (id never opened).
   */
  private lookup(id: number, what: string): TunnelStreamImpl | undefined {
    const s = this.streams.get(id);
    if (s) return s;
    const known = (id & 1) === this.localParity ? id < this.nextLocalId : id <= this.lastPeerId;
    if (!known) this.fail(TunnelErrorCode.PROTOCOL, `${what} for stream ${id}, which was never opened`);
    return undefined;
  }

  private onDataFrame(id: number, flags: number, payload: Buffer): void {
    const s = this.streams.get(id);
    if (s === undefined) {
      this.lookup(id, 'DATA');
      return;
    }
    const len = payload.length;
    if (s.recvTotal + len > s.recvGranted) {
      this.fail(
        TunnelErrorCode.FLOW_CONTROL,
        `stream ${id}: DATA of ${len} bytes beyond the window (${s.recvGranted - s.recvTotal} left)`,
      );
      return;
    }
    if (s.remoteFin) {
      this.streamError(s, TunnelErrorCode.PROTOCOL, 'DATA after FIN');
      return;
    }
    if (s.isOpener && !s.headDone) {
      this.streamError(s, TunnelErrorCode.PROTOCOL, 'DATA before HEAD');
      return;
    }
    s.onData(payload, (flags & FrameFlag.FIN) !== 0);
  }

  private onOpenFrame(id: number, flags: number, payload: Buffer): void {
    if ((id & 1) === this.localParity || id <= this.lastPeerId) {
      this.fail(TunnelErrorCode.PROTOCOL, `OPEN with stream id ${id} (wrong parity or not increasing)`);
      return;
    }
    this.lastPeerId = id;
    if (payload.length > this.maxHeaderBytes) {
      this.refuse(id, TunnelErrorCode.HEADER_TOO_LARGE, `request head of ${payload.length} bytes`);
      return;
    }
    if (this._state === 'draining') {
      this.refuse(id, TunnelErrorCode.STREAM_REFUSED, 'session is draining');
      return;
    }
    if (this.peerOpen >= this.config.maxConcurrentStreams) {
      this.refuse(id, TunnelErrorCode.STREAM_LIMIT, `limit of ${this.config.maxConcurrentStreams} streams reached`);
      return;
    }
    const head = parseRequestHead(payload);
    if (!head) {
      this.refuse(id, TunnelErrorCode.PROTOCOL, 'malformed request head');
      return;
    }
    if (this.listenerCount('stream') === 0) {
      this.refuse(id, TunnelErrorCode.STREAM_REFUSED, 'no stream handler');
      return;
    }
    const s = new TunnelStreamImpl(this, id, false, head, undefined);
    this.streams.set(id, s);
    this.peerOpen++;
    if ((flags & FrameFlag.FIN) !== 0) s.onRemoteFin();
    this.emit('stream', s);
  }

  private onHeadFrame(id: number, flags: number, payload: Buffer): void {
    const s = this.streams.get(id);
    if (s === undefined) {
      this.lookup(id, 'HEAD');
      return;
    }
    if (!s.isOpener || s.headDone) {
      this.streamError(s, TunnelErrorCode.PROTOCOL, s.isOpener ? 'second HEAD' : 'HEAD sent to the accepting side');
      return;
    }
    if (payload.length > this.maxHeaderBytes) {
      this.streamError(s, TunnelErrorCode.HEADER_TOO_LARGE, `response head of ${payload.length} bytes`);
      return;
    }
    const head = parseResponseHead(payload);
    if (!head) {
      this.streamError(s, TunnelErrorCode.PROTOCOL, 'malformed response head');
      return;
    }
    s.onHead(head, (flags & FrameFlag.FIN) !== 0);
  }

  private onWindowFrame(id: number, payload: Buffer): void {
    const increment = payload.readUInt32BE(0);
    if (increment === 0) {
      this.fail(TunnelErrorCode.PROTOCOL, `WINDOW 0 on stream ${id}`);
      return;
    }
    const s = this.lookup(id, 'WINDOW');
    if (!s) return;
    if (s.sendCredit + increment > MAX_WINDOW) {
      this.fail(TunnelErrorCode.FLOW_CONTROL, `stream ${id}: credit overflow`);
      return;
    }
    s.onWindow(increment);
  }

  private onPingFrame(flags: number, payload: Buffer): void {
    if ((flags & FrameFlag.ACK) === 0) {
      this.queue(encodePing(payload, true));
      return;
    }
    const seq = payload.readUInt32BE(0) * 0x100000000 + payload.readUInt32BE(4);
    const p = this.pings.get(seq);
    if (!p) return;
    this.pings.delete(seq);
    clearTimeout(p.timer);
    const ms = performance.now() - p.start;
    this.rttMs = ms;
    p.resolve(ms);
    this.emit('rtt', ms);
  }

  private onGoAwayFrame(payload: Buffer): void {
    const { lastStreamId, resetNumber, reason } = parseGoAway(payload);
    const code = codeFromReset(resetNumber);
    const first = !this.peerGoingAway;
    this.peerGoingAway = true;
    // Our streams above the peer's last id were never processed: safe for the caller to retry.
    for (const s of this.streams.values()) {
      if ((s.id & 1) === this.localParity && s.id > lastStreamId) {
        s.terminate(new TunnelError(TunnelErrorCode.STREAM_REFUSED, 'peer is going away'));
      }
    }
    if (first) {
      this.log?.info({ code, reason, lastStreamId }, 'peer sent GOAWAY');
      this.emit('goaway', { code, reason });
    }
  }

  private streamError(s: TunnelStreamImpl, code: TunnelErrorCode, message: string): void {
    this.log?.warn({ streamId: s.id, code, message }, 'stream error from peer');
    s.reset(code, message);
  }

  /** Reject a peer OPEN without creating a stream. */
  private refuse(id: number, code: TunnelErrorCode, message: string): void {
    this.log?.debug({ streamId: id, code, message }, 'stream refused');
    this.queue(encodeReset(id, TUNNEL_ERROR_TABLE[code].reset, message));
  }

  // ---- session end ------------------------------------------------------------------------

  private fail(code: TunnelErrorCode, message: string): void {
    if (this._state === 'closed') return;
    this.close(new TunnelError(code, message));
  }

  private armAliveTimer(ms: number): void {
    this.aliveTimer = setTimeout(() => this.checkAlive(), ms);
    this.aliveTimer.unref();
  }

  private checkAlive(): void {
    if (this._state === 'closed') return;
    const idle = performance.now() - this.lastRecvAt;
    const timeout = this.config.pingTimeoutMs;
    if (idle < timeout) {
      this.armAliveTimer(Math.max(1, Math.ceil(timeout - idle)));
      return;
    }
    const error = new TunnelError(TunnelErrorCode.TIMEOUT, `nothing received for ${Math.round(idle)} ms`);
    // The close frame is best effort: the link is presumed dead, so do not wait for an answer.
    this.transport.close(wireCloseCode(TunnelErrorCode.TIMEOUT), TunnelErrorCode.TIMEOUT);
    this.transport.terminate();
    this.finalize(error, TunnelErrorCode.TIMEOUT);
  }

  private finishDrain(): void {
    if (this._state === 'closed') return;
    this.flush();
    this.transport.close(1001, TunnelErrorCode.GOING_AWAY);
    this.finalize(undefined, TunnelErrorCode.GOING_AWAY);
  }

  private onTransportClose(code: number, reason: string): void {
    if (this._state === 'closed') return;
    if (this.replay) {
      // Let queued messages be handled first.
      setImmediate(() => this.onTransportClose(code, reason));
      return;
    }
    const tcode = codeFromCloseFrame(code, reason);
    const clean = code === 1000 || code === 1001 || tcode === TunnelErrorCode.GOING_AWAY;
    const error = clean
      ? undefined
      : new TunnelError(tcode ?? TunnelErrorCode.CONNECTION_LOST, `transport closed (${code} ${reason})`);
    this.finalize(error, tcode ?? TunnelErrorCode.CONNECTION_LOST);
  }

  private finalize(error: TunnelError | undefined, streamCode: TunnelErrorCode): void {
    if (this._state === 'closed') return;
    this._state = 'closed';
    if (this.arena) this.arenas.give(this.arena);
    this.arena = undefined;
    this.outBytes = 0;
    clearInterval(this.pingTimer);
    clearTimeout(this.aliveTimer);
    clearTimeout(this.drainTimer);
    if (error) {
      this.log?.warn({ code: error.code, err: error.message, stats: this.stats }, 'tunnel session closed with error');
    } else {
      this.log?.info({ stats: this.stats }, 'tunnel session closed');
    }
    const pingError = new TunnelError(streamCode, 'session closed');
    for (const p of this.pings.values()) {
      clearTimeout(p.timer);
      p.reject(pingError);
    }
    this.pings.clear();
    this.blocked = [];
    const streamError = new TunnelError(streamCode, error ? error.message : 'session closed');
    for (const s of this.streams.values()) s.terminate(streamError);
    this.emit('close', error);
  }
}

/** Start a session on a transport whose handshake (if any) has completed. */
export function createSession(
  transport: MessageTransport,
  role: SessionRole,
  opts: SessionOptions = {},
): TunnelSession {
  return new Session(transport, role, opts);
}
