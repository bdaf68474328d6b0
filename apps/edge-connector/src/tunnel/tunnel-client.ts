import { EventEmitter } from 'node:events';
import type { KeyObject } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Logger } from '@lanbridge/logging';
import {
  codeFromClose,
  connectorHandshake,
  createSession,
  resolveTunnelConfig,
  TunnelError,
  TunnelErrorCode,
  wsTransport,
  WS_SUBPROTOCOL_V1,
  type ControlMessage,
  type ReadyPayload,
  type TunnelConfig,
  type TunnelSession,
  type TunnelStream,
} from '@lanbridge/tunnel-protocol';
import WebSocket from 'ws';
import { Backoff } from './backoff';

/**
 * - `idle`: constructed, `start()` not called yet.
 * - `connecting`: dialing the broker (WebSocket upgrade + handshake), no usable session.
 * - `online`: a session accepts streams. Also kept while a GOAWAY'd session drains and its
 *   replacement is being dialed (make-before-break), since requests in flight still flow.
 * - `backoff`: waiting before the next dial.
 * - `stopped`: `stop()` was called; terminal.
 */
export type TunnelClientState = 'idle' | 'connecting' | 'online' | 'backoff' | 'stopped';

export interface TunnelClientOptions {
  /** Full tunnel endpoint URL, e.g. wss://broker.example.com/tunnel/v1/connect. */
  readonly brokerUrl: string;
  readonly connectorId: string;
  /** Ed25519 private key; used only to sign the handshake challenge. */
  readonly privateKey: KeyObject;
  readonly agentVersion: string;
  readonly hostname: string;
  /** Called for each stream the broker opens. Exceptions reset that stream with INTERNAL. */
  readonly onStream: (stream: TunnelStream) => void;
  readonly backoff: { readonly baseMs: number; readonly maxMs: number; readonly healthyResetMs: number };
  /** Overrides of the session config (timeouts, windows, limits). */
  readonly tunnelConfig?: Partial<TunnelConfig>;
  readonly logger: Logger;
  /** Uniform random in [0, 1) for backoff jitter; injectable for tests. */
  readonly random?: () => number;
  /** Clock in ms; injectable for tests. */
  readonly now?: () => number;
  /**
   * Send frames with an all-zero WebSocket mask, which lets ws skip the masking pass. Masking
   * only protects plaintext through HTTP intermediaries, so the default is on for wss:// and
   * loopback brokers and off for plain ws:// elsewhere.
   */
  readonly zeroMask?: boolean;
  /**
   * When queued frames are flushed (see the library's SessionOptions). Default 'immediate':
   * responses finishing in one event-loop turn share a WebSocket message, which roughly halves
   * the write syscalls under concurrency for tens of µs of added latency.
   */
  readonly coalesce?: 'microtask' | 'immediate';
}

export interface TunnelClientError {
  readonly code: TunnelErrorCode;
  readonly message: string;
  /** ISO timestamp. */
  readonly at: string;
}

export interface TunnelClientStatus {
  readonly state: TunnelClientState;
  readonly brokerUrl: string;
  readonly connectorId: string;
  /** Broker session id of the session accepting streams (or the draining one during a move). */
  readonly sessionId: string | null;
  readonly rttMs: number | null;
  /** Streams open across the current and any draining session. */
  readonly openStreams: number;
  /** ISO timestamp the current session came up. */
  readonly connectedSince: string | null;
  /** Sessions established after the first one (reconnects and GOAWAY moves). */
  readonly reconnects: number;
  readonly lastError: TunnelClientError | null;
}

export interface TunnelClientEvents {
  state: (state: TunnelClientState, previous: TunnelClientState) => void;
  /** A new session is up (also after a GOAWAY move). */
  online: (info: { sessionId: string }) => void;
  /** No session accepts streams any more; `error` is why, when known. */
  offline: (error: TunnelError | undefined) => void;
  /** A control message from the broker (config pushes, the organisation QR). */
  message: (message: ControlMessage) => void;
}

/** Refusals that retrying cannot fix until an operator acts: back off at the cap. */
const OPERATOR_ERRORS: ReadonlySet<TunnelErrorCode> = new Set([
  TunnelErrorCode.AUTH_FAILED,
  TunnelErrorCode.REVOKED,
  TunnelErrorCode.VERSION,
  TunnelErrorCode.SITE_CLAIMED,
]);

/**
 * Keeps one tunnel session to the broker up: dial, authenticate, hand streams to `onStream`,
 * reconnect with full-jitter backoff, move to a new session when the broker drains (GOAWAY).
 * No Nest dependency, so a benchmark can run many in one process.
 */
export class TunnelClient extends EventEmitter {
  private currentState: TunnelClientState = 'idle';
  private current: TunnelSession | undefined;
  /** Sessions that got GOAWAY and still finish their streams. */
  private readonly draining = new Set<TunnelSession>();
  private readonly sessionIds = new WeakMap<TunnelSession, string>();
  private readonly backoff: Backoff;
  private readonly config: TunnelConfig;
  private readonly log: Logger;
  private dialing = false;
  private pendingWs: WebSocket | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** A GOAWAY'd session drains while its replacement is dialed. */
  private moving = false;
  private established = 0;
  private connectedAt: Date | undefined;
  private lastErr: TunnelClientError | null = null;
  private stopping: Promise<void> | undefined;
  private readonly zeroMask: boolean;

  constructor(private readonly opts: TunnelClientOptions) {
    super();
    const url = new URL(opts.brokerUrl);
    this.zeroMask = opts.zeroMask ?? (url.protocol === 'wss:' || isLoopback(url.hostname));
    this.config = resolveTunnelConfig(opts.tunnelConfig);
    this.backoff = new Backoff({ ...opts.backoff, random: opts.random, now: opts.now });
    this.log = opts.logger.child({ component: 'tunnel-client', connectorId: opts.connectorId });
  }

  get state(): TunnelClientState {
    return this.currentState;
  }

  start(): void {
    if (this.currentState !== 'idle') return;
    this.log.info({ brokerUrl: this.opts.brokerUrl }, 'tunnel client starting');
    this.connect();
  }

  /** Stops reconnecting, drains every session (GOAWAY, then close once streams finish). */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    const wasOnline = this.currentState === 'online';
    this.setState('stopped');
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pendingWs?.terminate();
    const sessions = [...this.draining];
    if (this.current) sessions.push(this.current);
    this.current = undefined;
    this.moving = false;
    this.connectedAt = undefined;
    if (wasOnline) this.emit('offline', undefined);
    this.stopping = Promise.all(sessions.map((s) => this.drainSession(s, 'connector stopping'))).then(() => {
      this.log.info('tunnel client stopped');
    });
    return this.stopping;
  }

  /** Sends a control message on the current session; false when no session is up. */
  sendMessage(message: ControlMessage): boolean {
    const session = this.current;
    if (!session || session.state !== 'open') return false;
    session.sendMessage(message);
    return true;
  }

  /** The session that takes new streams (none while offline or moving); the uplink opens its streams on it. */
  currentSession(): TunnelSession | undefined {
    return this.current?.state === 'open' ? this.current : undefined;
  }

  status(): TunnelClientStatus {
    const shown = this.current ?? this.newestDraining();
    let openStreams = 0;
    if (this.current) openStreams += this.current.stats.openStreams;
    for (const s of this.draining) openStreams += s.stats.openStreams;
    return {
      state: this.currentState,
      brokerUrl: this.opts.brokerUrl,
      connectorId: this.opts.connectorId,
      sessionId: shown ? (this.sessionIds.get(shown) ?? null) : null,
      rttMs: shown?.stats.rttMs ?? null,
      openStreams,
      connectedSince: this.connectedAt?.toISOString() ?? null,
      reconnects: Math.max(0, this.established - 1),
      lastError: this.lastErr,
    };
  }

  override on<E extends keyof TunnelClientEvents>(event: E, listener: TunnelClientEvents[E]): this {
    return super.on(event, listener);
  }

  override once<E extends keyof TunnelClientEvents>(event: E, listener: TunnelClientEvents[E]): this {
    return super.once(event, listener);
  }

  override off<E extends keyof TunnelClientEvents>(event: E, listener: TunnelClientEvents[E]): this {
    return super.off(event, listener);
  }

  // ---- dialing ------------------------------------------------------------------------------

  private connect(): void {
    this.timer = undefined;
    if (this.currentState === 'stopped' || this.dialing) return;
    this.dialing = true;
    if (!this.current && !this.moving) this.setState('connecting');
    this.dial().then(
      ({ session, ready }) => this.onDialed(session, ready),
      (err: TunnelError) => this.onDialFailed(err),
    );
  }

  private dial(): Promise<{ session: TunnelSession; ready: ReadyPayload }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.opts.brokerUrl, WS_SUBPROTOCOL_V1, {
        perMessageDeflate: false,
        handshakeTimeout: this.config.handshakeTimeoutMs,
        maxPayload: this.config.maxMessageBytes,
        ...(this.zeroMask ? { generateMask: zeroMask } : {}),
      });
      this.pendingWs = ws;
      let opened = false;
      const fail = (err: unknown): void => {
        if (this.pendingWs === ws) this.pendingWs = undefined;
        reject(toTunnelError(err));
      };
      ws.once('upgrade', (res: IncomingMessage) => res.socket.setNoDelay(true));
      // Before 'open' these end the dial; afterwards the transport and the session own the socket.
      ws.on('error', (err) => {
        if (!opened) fail(err);
      });
      ws.once('close', (code, reason) => {
        if (!opened) fail(errorFromClose(code, reason.toString()));
      });
      ws.once('open', () => {
        opened = true;
        // Synchronously, inside 'open': HELLO may already sit in the socket buffer and must
        // reach the handshake's message handler.
        const transport = wsTransport(ws);
        connectorHandshake(transport, {
          connectorId: this.opts.connectorId,
          privateKey: this.opts.privateKey,
          agent: { version: this.opts.agentVersion, hostname: this.opts.hostname },
          timeoutMs: this.config.handshakeTimeoutMs,
        }).then(
          (ready) => {
            if (this.pendingWs === ws) this.pendingWs = undefined;
            const session = createSession(transport, 'connector', {
              config: this.config,
              version: ready.version,
              coalesce: this.opts.coalesce ?? 'immediate',
              logger: this.log.child({ sessionId: ready.sessionId }),
            });
            resolve({ session, ready });
          },
          (err: unknown) => {
            transport.terminate();
            fail(err);
          },
        );
      });
    });
  }

  private onDialed(session: TunnelSession, ready: ReadyPayload): void {
    this.dialing = false;
    if (this.currentState === 'stopped') {
      session.close();
      return;
    }
    const previous = this.newestDraining();
    this.current = session;
    this.moving = false;
    this.sessionIds.set(session, ready.sessionId);
    session.on('stream', this.acceptStream);
    session.on('goaway', (info) => this.onGoAway(session, info));
    session.on('message', (message) => this.emit('message', message));
    session.once('close', (error) => this.onSessionClose(session, error));
    this.backoff.connected();
    this.connectedAt = new Date();
    this.established++;
    this.log.info(
      { sessionId: ready.sessionId, orgId: ready.orgId, version: ready.version, reconnects: this.established - 1 },
      'tunnel online',
    );
    if (previous) {
      // The replacement is up: the old session stops taking streams from our side too, and
      // closes itself once its streams finish (or after drainTimeoutMs).
      previous.goAway(TunnelErrorCode.GOING_AWAY, 'replaced by a new session');
    }
    this.setState('online');
    this.emit('online', { sessionId: ready.sessionId });
  }

  private onDialFailed(error: TunnelError): void {
    this.dialing = false;
    if (this.currentState === 'stopped') return;
    this.recordError(error);
    const wasOnline = this.currentState === 'online';
    this.moving = false;
    if (OPERATOR_ERRORS.has(error.code)) {
      this.log.error(
        { code: error.code, reason: error.message },
        'broker refused this connector; check CONNECTOR_ID, the key, and that the connector is active',
      );
    } else {
      this.log.warn({ code: error.code, reason: error.message }, 'tunnel dial failed');
    }
    if (wasOnline) this.emit('offline', error);
    this.scheduleReconnect(error.code);
  }

  private scheduleReconnect(code: TunnelErrorCode | undefined): void {
    if (this.currentState === 'stopped') return;
    const delay =
      code !== undefined && OPERATOR_ERRORS.has(code) ? this.backoff.authFailureDelay() : this.backoff.nextDelay();
    this.setState('backoff');
    this.log.debug({ delayMs: delay, attempt: this.backoff.attempt }, 'reconnecting after backoff');
    this.timer = setTimeout(() => this.connect(), delay);
  }

  // ---- session events -----------------------------------------------------------------------

  private readonly acceptStream = (stream: TunnelStream): void => {
    try {
      this.opts.onStream(stream);
    } catch (err) {
      this.log.error({ err, streamId: stream.id }, 'stream handler failed');
      stream.reset(TunnelErrorCode.INTERNAL);
    }
  };

  private onGoAway(session: TunnelSession, info: { code: TunnelErrorCode; reason: string }): void {
    if (session !== this.current || this.currentState === 'stopped') return;
    this.log.info(
      { sessionId: this.sessionIds.get(session), code: info.code, reason: info.reason },
      'broker sent GOAWAY; moving to a new session',
    );
    this.current = undefined;
    this.draining.add(session);
    this.moving = true;
    // Make-before-break: dial now, no backoff; the old session keeps serving its streams.
    clearTimeout(this.timer);
    this.connect();
  }

  private onSessionClose(session: TunnelSession, error: TunnelError | undefined): void {
    if (this.draining.delete(session)) {
      this.log.debug({ sessionId: this.sessionIds.get(session), code: error?.code }, 'drained session closed');
      if (this.moving && !this.current && this.draining.size === 0) {
        // The old session finished before its replacement came up: nothing carries streams now.
        this.moving = false;
        this.connectedAt = undefined;
        if (this.dialing) this.setState('connecting');
        this.emit('offline', error);
      }
      return;
    }
    if (session !== this.current) return;
    this.current = undefined;
    this.connectedAt = undefined;
    this.backoff.disconnected();
    if (error) this.recordError(error);
    if (this.currentState === 'stopped') return;
    const sessionId = this.sessionIds.get(session);
    if (error?.code === TunnelErrorCode.REPLACED) {
      // Another process runs with this connector's identity; fighting it would flap both.
      this.log.warn({ sessionId }, 'session replaced by a newer one for this connector; backing off');
    } else {
      this.log.warn({ sessionId, code: error?.code, reason: error?.message }, 'tunnel offline');
    }
    this.emit('offline', error);
    this.scheduleReconnect(error?.code);
  }

  private drainSession(session: TunnelSession, reason: string): Promise<void> {
    if (session.state === 'closed') return Promise.resolve();
    return new Promise((resolve) => {
      const deadline = setTimeout(() => session.close(), this.config.drainTimeoutMs + 1000);
      session.once('close', () => {
        clearTimeout(deadline);
        resolve();
      });
      session.goAway(TunnelErrorCode.GOING_AWAY, reason);
    });
  }

  // ---- helpers ------------------------------------------------------------------------------

  private newestDraining(): TunnelSession | undefined {
    let last: TunnelSession | undefined;
    for (const s of this.draining) last = s;
    return last;
  }

  private recordError(error: TunnelError): void {
    this.lastErr = { code: error.code, message: error.message, at: new Date().toISOString() };
  }

  private setState(next: TunnelClientState): void {
    const previous = this.currentState;
    if (previous === next) return;
    this.currentState = next;
    this.emit('state', next, previous);
  }
}

function zeroMask(mask: Buffer): void {
  mask.fill(0);
}

function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

function errorFromClose(code: number, reason: string): TunnelError {
  const byReason = (Object.values(TunnelErrorCode) as string[]).includes(reason)
    ? (reason as TunnelErrorCode)
    : undefined;
  return new TunnelError(
    byReason ?? codeFromClose(code) ?? TunnelErrorCode.CONNECTION_LOST,
    `broker closed the connection (${code}${reason ? ` ${reason}` : ''})`,
  );
}

/** Every dial failure as a TunnelError with a stable code, keeping the cause. */
function toTunnelError(err: unknown): TunnelError {
  if (err instanceof TunnelError) return err;
  const e: Error & { code?: string } = err instanceof Error ? err : new Error(String(err));
  const http = /Unexpected server response: (\d+)/.exec(e.message);
  if (http) {
    const status = Number(http[1]);
    const code =
      status === 401 || status === 403
        ? TunnelErrorCode.AUTH_FAILED
        : status === 426
          ? TunnelErrorCode.VERSION
          : status === 503
            ? TunnelErrorCode.GOING_AWAY
            : TunnelErrorCode.CONNECTION_LOST;
    return new TunnelError(code, `broker answered HTTP ${status} to the tunnel upgrade`, { cause: err });
  }
  if (/handshake has timed out/i.test(e.message)) {
    return new TunnelError(TunnelErrorCode.TIMEOUT, 'broker did not answer the WebSocket upgrade in time', {
      cause: err,
    });
  }
  const message = e.code ? `${e.code}: ${e.message}` : e.message;
  return new TunnelError(TunnelErrorCode.CONNECTION_LOST, `could not reach the broker (${message})`, { cause: err });
}
