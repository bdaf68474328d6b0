/**
 * One multiplexed stream as a Node Duplex (SPEC.md §6–§7).
 *
 * Sending: `write()` becomes DATA frames of at most maxFramePayload bytes, never more than the
 * credit the peer granted. When credit runs out, or the session pauses all writers because the
 * transport is over its high-water mark, the Duplex write callback is held back, so ordinary
 * Node backpressure (write() → false, pipe pausing) reaches the producer.
 *
 * Receiving: DATA payloads (zero-copy subarrays of the transport message) wait in the stream's
 * own queue and are handed to the Readable side only when Node asks for data (`_read()`, the
 * pull pattern). Credit is returned for the bytes handed over, once they reach half a window. A
 * reader that never reads therefore holds at most one window (plus the Readable's high-water
 * mark) in memory and stops only its own sender. Counting what was *handed over* rather than
 * inferring consumption from `readableLength` matters: Node calls `_read()` before it removes
 * the chunk it returns, and not again until the next push, so an inferred count can miss the
 * last bytes taken and leave both sides waiting for each other.
 *
 * Errors: a stream that is reset (by either side, or because the session ended) records the
 * error in `resetError` and is destroyed. It is destroyed *with* the error (→ 'error' event)
 * only when an 'error' listener is attached at that moment; otherwise it is destroyed without
 * one, so an unobserved reset can never crash the process with an unhandled 'error'. Readers
 * then see 'close' without 'end', writers get the error in their write callbacks, and
 * `responseHead()` rejects with it.
 */
import { Duplex } from 'node:stream';
import type { RequestHead, ResponseHead, StreamState, TunnelStream } from './api';
import { FrameFlag } from './codec';
import { TunnelError, TunnelErrorCode } from './errors';

/** What a stream needs from its session. Implemented by the session; internal to the library. */
export interface StreamHost {
  readonly maxFramePayload: number;
  readonly maxHeaderBytes: number;
  readonly initialStreamWindow: number;
  readonly maxStreamWindow: number;
  /** Below this many ms between two credit returns, a stream's window is too small (window auto-tuning). */
  readonly windowGrowMs: number;
  /** Take up to `bytes` of the session's window-growth budget; returns what was granted. */
  reserveWindowGrowth(bytes: number): number;
  /** Increments every time queued frames are handed to the transport. */
  readonly flushGen: number;
  /** True while the transport is over its high-water mark. */
  readonly writesPaused: boolean;
  /**
   * Queue a DATA frame (the payload is copied into the batch at once); returns the queued frame
   * (byte 1 = flags, patchable until the next flush).
   */
  queueData(streamId: number, payload: Buffer | undefined, fin: boolean): Buffer;
  /** Queue a HEAD frame; returns the queued frame (byte 1 = flags). */
  queueHead(streamId: number, payload: Buffer): Buffer;
  queueWindow(streamId: number, increment: number): void;
  queueReset(streamId: number, code: TunnelErrorCode, message: string): void;
  /** The stream waits for the transport to drain. */
  blockOnDrain(stream: TunnelStreamImpl): void;
  /** The stream reached `closed` or `reset`: drop it from the table. */
  streamEnded(stream: TunnelStreamImpl): void;
}

interface PendingWrite {
  readonly chunk: Buffer;
  offset: number;
  readonly callback: (error?: Error | null) => void;
}

interface Deferred {
  readonly promise: Promise<ResponseHead>;
  resolve(head: ResponseHead): void;
  reject(error: TunnelError): void;
}

export class TunnelStreamImpl extends Duplex implements TunnelStream {
  private _state: StreamState;
  private _resetError: TunnelError | undefined;
  /** Bytes we may still send (peer's credit). */
  sendCredit: number;
  /** Total DATA bytes received, and total credit granted to the peer (initial + WINDOWs). */
  recvTotal = 0;
  recvGranted: number;
  /** Received DATA not yet handed to the Readable side, and bytes handed over so far. */
  private readonly inQueue: Buffer[] = [];
  private handedOver = 0;
  /** Current receive window: initialStreamWindow, grown by auto-tuning; `grown` came from the session budget. */
  private recvWindow: number;
  grown = 0;
  /** performance.now() of the last credit return (0: none yet). */
  private lastGrantAt = 0;
  /** Node asked for data and the last push() did not refuse more. */
  private wantData = false;
  /** The peer's FIN arrived while data was still queued: end the Readable after it. */
  private endPending = false;
  /** We sent FIN / the peer sent FIN. */
  localFin = false;
  remoteFin = false;
  /** Opener: HEAD received. Accepter: HEAD sent. */
  headDone = false;
  private responseHeadValue: ResponseHead | undefined;
  private headDeferred: Deferred | undefined;
  private pending: PendingWrite | undefined;
  /** The last frame queued by this stream, so end() can set FIN on it if it is still unflushed. */
  private lastFrame: Buffer | undefined;
  private lastFrameGen = -1;
  /** In the session's list of streams waiting for the transport to drain. */
  waitingDrain = false;

  constructor(
    private readonly host: StreamHost,
    readonly id: number,
    /** True on the side that sent OPEN. */
    readonly isOpener: boolean,
    readonly requestHead: RequestHead,
    openFrame: Buffer | undefined,
  ) {
    super({
      allowHalfOpen: true,
      readableHighWaterMark: 64 * 1024,
      writableHighWaterMark: 64 * 1024,
    });
    this._state = isOpener ? 'opening' : 'open';
    this.sendCredit = host.initialStreamWindow;
    this.recvGranted = host.initialStreamWindow;
    this.recvWindow = host.initialStreamWindow;
    if (openFrame) {
      this.lastFrame = openFrame;
      this.lastFrameGen = host.flushGen;
    }
  }

  get state(): StreamState {
    return this._state;
  }

  /** The current receive window (initialStreamWindow, or more once auto-tuning grew it). */
  get receiveWindow(): number {
    return this.recvWindow;
  }

  /** Received bytes the reader has not taken yet (the stream's queue plus the Readable buffer). */
  get bufferedIn(): number {
    return this.recvTotal - this.handedOver + this.readableLength;
  }

  get resetError(): TunnelError | undefined {
    return this._resetError;
  }

  /** Stream is finished (closed or reset): nothing more is sent or accepted. */
  get ended(): boolean {
    return this._state === 'closed' || this._state === 'reset';
  }

  sendResponseHead(head: ResponseHead): void {
    if (this.isOpener) throw new TunnelError(TunnelErrorCode.INTERNAL, 'only the accepting side sends a response head');
    if (this.headDone) throw new TunnelError(TunnelErrorCode.INTERNAL, 'response head already sent');
    // A reset may race with the application producing its answer; that is not the caller's bug.
    if (this.ended || this.localFin) return;
    const payload = Buffer.from(JSON.stringify(head), 'utf8');
    if (payload.length > this.host.maxHeaderBytes) {
      throw new TunnelError(
        TunnelErrorCode.HEADER_TOO_LARGE,
        `response head is ${payload.length} bytes, limit ${this.host.maxHeaderBytes}`,
      );
    }
    this.headDone = true;
    this.setLast(this.host.queueHead(this.id, payload));
  }

  responseHead(): Promise<ResponseHead> {
    if (this.responseHeadValue) return Promise.resolve(this.responseHeadValue);
    if (this._resetError) return Promise.reject(this._resetError);
    if (!this.isOpener) {
      return Promise.reject(
        new TunnelError(TunnelErrorCode.INTERNAL, 'only the opening side receives a response head'),
      );
    }
    if (!this.headDeferred) {
      let resolve!: (h: ResponseHead) => void;
      let reject!: (e: TunnelError) => void;
      const promise = new Promise<ResponseHead>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.headDeferred = { promise, resolve, reject };
    }
    return this.headDeferred.promise;
  }

  reset(code: TunnelErrorCode, message?: string): void {
    if (this.ended) return;
    const text = message ?? 'reset locally';
    this.host.queueReset(this.id, code, text);
    this.terminate(new TunnelError(code, text));
  }

  // ---- called by the session -------------------------------------------------------------

  /** Opener got HEAD. */
  onHead(head: ResponseHead, fin: boolean): void {
    this.headDone = true;
    this.responseHeadValue = head;
    if (this._state === 'opening') this._state = 'open';
    const d = this.headDeferred;
    this.headDeferred = undefined;
    d?.resolve(head);
    if (fin) this.onRemoteFin();
  }

  /** Peer DATA (credit already checked by the session). */
  onData(payload: Buffer, fin: boolean): void {
    if (payload.length > 0) {
      this.recvTotal += payload.length;
      if (this.wantData && this.inQueue.length === 0) this.handOver(payload);
      else this.inQueue.push(payload);
    }
    if (fin) this.onRemoteFin();
  }

  onRemoteFin(): void {
    if (this.remoteFin || this.ended) return;
    this.remoteFin = true;
    if (this.inQueue.length === 0) this.push(null);
    else this.endPending = true;
    if (this.localFin) this.finish();
    else this._state = 'half-closed-remote';
  }

  onWindow(increment: number): void {
    this.sendCredit += increment;
    if (this.pending) this.pump();
  }

  /** End the stream with `error` without sending anything (RESET received, session gone). */
  terminate(error: TunnelError): void {
    if (this.ended) return;
    this._state = 'reset';
    this._resetError = error;
    this.host.streamEnded(this);
    const d = this.headDeferred;
    this.headDeferred = undefined;
    d?.reject(error);
    const p = this.pending;
    this.pending = undefined;
    if (this.listenerCount('error') > 0) this.destroy(error);
    else this.destroy();
    p?.callback(error);
  }

  /**
   * Writes a chunk whose memory the caller reuses as soon as this returns (a socket's read
   * buffer). With nothing queued ahead of it, credit for all of it and the transport not paused,
   * it is copied straight into the session's batch; otherwise a copy goes through write(). The
   * return value is write()'s: false means wait for 'drain'.
   */
  writeTransient(chunk: Buffer): boolean {
    const len = chunk.length;
    if (
      this.pending ||
      this.writableLength > 0 ||
      this.writableEnded ||
      this.ended ||
      (!this.isOpener && !this.headDone) ||
      this.host.writesPaused ||
      this.sendCredit < len
    ) {
      return this.write(Buffer.from(chunk));
    }
    // Not through pump(): it may stop half-way (a flush can pause writes) and keep the chunk.
    const max = this.host.maxFramePayload;
    for (let off = 0; off < len; off += max) {
      this.setLast(this.host.queueData(this.id, chunk.subarray(off, Math.min(len, off + max)), false));
    }
    this.sendCredit -= len;
    return true;
  }

  /** Retry a write held back by credit or by the transport. */
  pump(): void {
    const p = this.pending;
    if (!p || this.ended) return;
    const max = this.host.maxFramePayload;
    const len = p.chunk.length;
    while (p.offset < len) {
      if (this.host.writesPaused) {
        this.host.blockOnDrain(this);
        return;
      }
      const n = Math.min(len - p.offset, this.sendCredit, max);
      if (n <= 0) return; // wait for WINDOW
      const part = p.offset === 0 && n === len ? p.chunk : p.chunk.subarray(p.offset, p.offset + n);
      this.setLast(this.host.queueData(this.id, part, false));
      this.sendCredit -= n;
      p.offset += n;
    }
    this.pending = undefined;
    p.callback();
  }

  // ---- Duplex implementation ---------------------------------------------------------------

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.ended) {
      callback(this._resetError ?? new TunnelError(TunnelErrorCode.CONNECTION_LOST, 'stream ended'));
      return;
    }
    if (!this.isOpener && !this.headDone) {
      callback(new TunnelError(TunnelErrorCode.INTERNAL, 'sendResponseHead() must come before write()'));
      return;
    }
    if (chunk.length === 0) {
      callback();
      return;
    }
    this.pending = { chunk, offset: 0, callback };
    this.pump();
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.ended) {
      callback(this._state === 'reset' ? this._resetError : null);
      return;
    }
    if (!this.isOpener && !this.headDone) {
      callback(new TunnelError(TunnelErrorCode.INTERNAL, 'sendResponseHead() must come before end()'));
      return;
    }
    const last = this.lastFrame;
    if (last && this.lastFrameGen === this.host.flushGen) last[1] |= FrameFlag.FIN;
    else this.host.queueData(this.id, undefined, true);
    this.lastFrame = undefined;
    this.localFin = true;
    if (this.remoteFin) this.finish();
    else this._state = 'half-closed-local';
    callback();
  }

  override _read(): void {
    this.wantData = true;
    while (this.wantData && this.inQueue.length > 0) this.handOver(this.inQueue.shift() as Buffer);
    if (this.endPending && this.inQueue.length === 0) {
      this.endPending = false;
      this.push(null);
    }
  }

  /** Gives one chunk to the Readable side; keeps going while Node wants more. */
  private handOver(chunk: Buffer): void {
    this.handedOver += chunk.length;
    this.wantData = this.push(chunk);
    this.returnCredit();
  }

  /**
   * Return credit for the bytes handed over once they reach half a window. Auto-tuning: when the
   * reader took that half window sooner than `windowGrowMs` after the previous return, the window
   * and not the reader is what limits the stream, so the window doubles (from the session's
   * growth budget, up to maxStreamWindow). A slow reader never grows its window.
   */
  private returnCredit(): void {
    if (this.ended || this.remoteFin) return;
    let increment = this.handedOver + this.recvWindow - this.recvGranted;
    if (increment < this.recvWindow >>> 1) return;
    const host = this.host;
    if (this.recvWindow < host.maxStreamWindow) {
      const now = performance.now();
      if (now - this.lastGrantAt < host.windowGrowMs) {
        const extra = host.reserveWindowGrowth(Math.min(this.recvWindow, host.maxStreamWindow - this.recvWindow));
        this.recvWindow += extra;
        this.grown += extra;
        increment += extra;
      }
      this.lastGrantAt = now;
    }
    this.recvGranted += increment;
    host.queueWindow(this.id, increment);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.ended) {
      // Destroyed by the application before finishing: tell the peer.
      const code = error instanceof TunnelError ? error.code : TunnelErrorCode.CANCELLED;
      const text = error ? error.message : 'stream destroyed';
      this.host.queueReset(this.id, code, text);
      this._state = 'reset';
      this._resetError = error instanceof TunnelError ? error : new TunnelError(code, text, { cause: error });
      this.host.streamEnded(this);
      const d = this.headDeferred;
      this.headDeferred = undefined;
      d?.reject(this._resetError);
      const p = this.pending;
      this.pending = undefined;
      p?.callback(this._resetError);
    }
    callback(error);
  }

  private finish(): void {
    this._state = 'closed';
    this.host.streamEnded(this);
  }

  private setLast(frame: Buffer): void {
    this.lastFrame = frame;
    this.lastFrameGen = this.host.flushGen;
  }
}
