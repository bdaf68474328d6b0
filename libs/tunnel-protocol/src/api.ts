/**
 * The public contract of the tunnel protocol library. The cloud broker and the edge
 * connector code against these types only; `session.ts`, `stream.ts`, `codec.ts`,
 * `handshake.ts` and the transports implement them. See SPEC.md for the wire format.
 */
import type { Duplex } from 'node:stream';
import type { TunnelError, TunnelErrorCode } from './errors';

/** Protocol versions this build speaks, newest first. Negotiated in the handshake. */
export const PROTOCOL_VERSIONS = [1] as const;
/** WebSocket subprotocol token for version 1. */
export const WS_SUBPROTOCOL_V1 = 'lanbridge-tunnel.v1';

/**
 * Any ordered, reliable message transport (a WebSocket, an in-memory pair, ...).
 * A message carries one or more whole frames.
 */
export interface MessageTransport {
  /**
   * Queue one message. Never throws once closed (drops silently).
   *
   * With `onSent`, the message is lent: the caller reuses its memory once `onSent` has been
   * called, so the transport must call it exactly once, when nothing reads the message any more
   * (sent to the OS, copied, or dropped), and not before. Without it the message is given away.
   */
  send(message: Buffer, onSent?: () => void): void;
  /** Bytes queued and not yet handed to the OS. */
  readonly bufferedAmount: number;
  /** Close the transport; `code` is a WebSocket close code, `reason` ≤ 123 bytes UTF-8. */
  close(code: number, reason: string): void;
  /** Hard stop without a close handshake (dead peer). */
  terminate(): void;
  /** Only one handler at a time: setting replaces the previous one (handshake → session hand-over). */
  onMessage(handler: (message: Buffer) => void): void;
  onClose(handler: (code: number, reason: string) => void): void;
  /** Called when bufferedAmount falls back under the session's high-water mark. */
  onDrain(handler: () => void): void;
  /** Remote address for logs, if known. */
  readonly remoteAddress?: string;
}

/** HTTP request head carried by OPEN. Header names/values as a flat [name, value, name, value…] list. */
export interface RequestHead {
  readonly method: string;
  /** Path and query as seen by the local application (ingress prefix already removed). */
  readonly path: string;
  readonly headers: readonly string[];
  /** True when the client asked for an HTTP upgrade (WebSocket); the stream then carries raw bytes. */
  readonly upgrade?: boolean;
}

/** HTTP response head carried by HEAD, sent once by the side that accepted the stream. */
export interface ResponseHead {
  readonly status: number;
  readonly statusText?: string;
  readonly headers: readonly string[];
}

export type StreamState =
  /** OPEN sent, nothing received yet (opener side). */
  | 'opening'
  /** Both directions open. */
  | 'open'
  /** We sent FIN; peer may still send. */
  | 'half-closed-local'
  /** Peer sent FIN; we may still send. */
  | 'half-closed-remote'
  /** Both FINs seen; finished cleanly. */
  | 'closed'
  /** Ended by RESET in either direction, or by the session closing. */
  | 'reset';

/**
 * One multiplexed stream. A Node Duplex: `write()` sends DATA (respecting the peer's window),
 * `end()` sends FIN, reading yields the peer's DATA. Backpressure is the ordinary Node kind.
 */
export interface TunnelStream extends Duplex {
  readonly id: number;
  readonly state: StreamState;
  /** The request head from OPEN. */
  readonly requestHead: RequestHead;
  /** Accepting side: send the response head (once, before any write()). */
  sendResponseHead(head: ResponseHead): void;
  /** Opening side: resolves with the response head; rejects with TunnelError if reset first. */
  responseHead(): Promise<ResponseHead>;
  /**
   * write() for a chunk in memory the caller reuses once this returns (a socket's read buffer):
   * copied into the session's send batch at once when credit allows, else copied and written.
   */
  writeTransient(chunk: Buffer): boolean;
  /** Abort both directions with a code; emits 'error' locally only if there is a listener. */
  reset(code: TunnelErrorCode, message?: string): void;
  /** Set when the stream was reset (by either side). */
  readonly resetError?: TunnelError;
  /** Received bytes the reader has not taken yet; never more than one window (+ 64 KiB). */
  readonly bufferedIn: number;
  /** The receive window: initialStreamWindow, or more once auto-tuning grew it (SPEC.md §7). */
  readonly receiveWindow: number;
}

export type SessionState = 'open' | 'draining' | 'closed';
export type SessionRole = 'broker' | 'connector';

export interface SessionStats {
  readonly openStreams: number;
  readonly rttMs: number | undefined;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly framesIn: number;
  readonly framesOut: number;
}

/** A control message on stream 0 (type MESSAGE): small JSON, for config pushes and such. */
export interface ControlMessage {
  readonly type: string;
  readonly [key: string]: unknown;
}

export interface SessionEvents {
  /** The peer opened a stream. */
  stream: (stream: TunnelStream) => void;
  /** The peer sent GOAWAY: open no new streams on this session. */
  goaway: (info: { code: TunnelErrorCode; reason: string }) => void;
  /** A control message arrived. */
  message: (message: ControlMessage) => void;
  /** A ping round trip completed. */
  rtt: (ms: number) => void;
  /** The session ended; `error` is absent for a clean close. Emitted exactly once. */
  close: (error?: TunnelError) => void;
}

export interface TunnelSession {
  readonly role: SessionRole;
  readonly state: SessionState;
  readonly version: number;
  readonly stats: SessionStats;
  /**
   * Open a stream carrying `head`. Throws TunnelError GOING_AWAY if either side is draining,
   * STREAM_LIMIT if the peer's limit is reached, CONNECTION_LOST if closed.
   */
  openStream(head: RequestHead): TunnelStream;
  /** Send a ping; resolves with the RTT in ms, rejects on timeout/close. */
  ping(): Promise<number>;
  sendMessage(message: ControlMessage): void;
  /**
   * Graceful drain: send GOAWAY, refuse new streams, let open ones finish; closes the
   * transport when the last stream ends or after drainTimeoutMs (remaining streams reset).
   */
  goAway(code?: TunnelErrorCode, reason?: string): void;
  /** Close now: every open stream is reset with `error.code` (or CONNECTION_LOST). */
  close(error?: TunnelError): void;
  on<E extends keyof SessionEvents>(event: E, listener: SessionEvents[E]): this;
  once<E extends keyof SessionEvents>(event: E, listener: SessionEvents[E]): this;
  off<E extends keyof SessionEvents>(event: E, listener: SessionEvents[E]): this;
}

// ---- Handshake (connector authentication) --------------------------------------------------

/** Broker → connector, first frame (HELLO). */
export interface HelloPayload {
  readonly versions: readonly number[];
  /** base64url of 32 random bytes, unique per connection. */
  readonly nonce: string;
  /** Broker clock, ms since epoch. */
  readonly ts: number;
  /** Broker node id (for logs / HA). */
  readonly node: string;
}

/** Connector → broker (AUTH). */
export interface AuthPayload {
  readonly version: number;
  readonly connectorId: string;
  /** Echo of HELLO.nonce. */
  readonly nonce: string;
  /** Connector clock, ms since epoch, when signing. */
  readonly ts: number;
  /** base64url Ed25519 signature over `authSigningInput(connectorId, nonce, ts)`. */
  readonly signature: string;
  readonly agent: { readonly version: string; readonly hostname: string };
}

/** Broker → connector (READY) once the answer checks out. */
export interface ReadyPayload {
  readonly sessionId: string;
  readonly version: number;
  readonly connectorId: string;
  readonly orgId: string;
}

export interface BrokerHandshakeOptions {
  readonly node: string;
  /** Largest clock difference accepted between HELLO and AUTH.ts. Default 30 s. */
  readonly maxSkewMs?: number;
  readonly timeoutMs?: number;
  /** Look up the connector's public key and org. Return undefined for an unknown connector. */
  lookup(connectorId: string): Promise<{ publicKey: import('node:crypto').KeyObject; orgId: string } | undefined>;
  /** Session id generator (defaults to random). */
  newSessionId?(): string;
}

export interface BrokerHandshakeResult {
  readonly auth: AuthPayload;
  readonly ready: ReadyPayload;
}

export interface ConnectorHandshakeOptions {
  readonly connectorId: string;
  readonly privateKey: import('node:crypto').KeyObject;
  readonly agent: { readonly version: string; readonly hostname: string };
  readonly timeoutMs?: number;
}
