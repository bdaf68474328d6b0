/**
 * What the SDK needs from its platform, injectable so the same code runs in React Native, a
 * browser, Node (the CLI) and tests: fetch, a WebSocket constructor, a clock and randomness.
 * Nothing here imports a Node module.
 */
import { LanbridgeError, SdkErrorCode } from './errors';

/** The part of a fetch Response the SDK reads. */
export interface ResponseLike {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface FetchInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/** `globalThis.fetch` fits; so does any compatible implementation. */
export type FetchLike = (url: string, init: FetchInit) => Promise<ResponseLike>;

/**
 * The WebSocket the stream client drives (the browser/React Native `WebSocket`, or `ws` in Node).
 * Only the on* handler properties, send and close are used.
 */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/**
 * A WebSocket class: `new (url, protocols)`. Typed loosely on purpose so that the DOM
 * `WebSocket` and the `ws` package are both accepted without a cast.
 */
export type WebSocketConstructor = new (url: string, protocols: string[]) => object;

export interface RuntimeOptions {
  /** Default: globalThis.fetch. */
  readonly fetch?: FetchLike;
  /** Default: globalThis.WebSocket (absent in Node 20: pass `ws`). */
  readonly WebSocket?: WebSocketConstructor;
  /** Milliseconds since the epoch; default Date.now. Used for every token time check. */
  readonly now?: () => number;
  /** `n` random bytes; default globalThis.crypto.getRandomValues. */
  readonly randomBytes?: (n: number) => Uint8Array;
}

export interface Runtime {
  readonly fetch: FetchLike;
  readonly WebSocket: WebSocketConstructor | undefined;
  readonly now: () => number;
  readonly randomBytes: (n: number) => Uint8Array;
}

function defaultRandomBytes(n: number): Uint8Array {
  const c = (globalThis as { crypto?: { getRandomValues?: (a: Uint8Array) => Uint8Array } }).crypto;
  if (!c?.getRandomValues) {
    throw new LanbridgeError(
      SdkErrorCode.INVALID_ARGUMENT,
      'no secure random source: install a crypto.getRandomValues polyfill (e.g. react-native-get-random-values)',
    );
  }
  return c.getRandomValues(new Uint8Array(n));
}

export function createRuntime(opts: RuntimeOptions = {}): Runtime {
  const g = globalThis as { fetch?: FetchLike; WebSocket?: WebSocketConstructor };
  const globalFetch = g.fetch;
  const fetchImpl: FetchLike | undefined =
    opts.fetch ?? (globalFetch ? (url, init) => globalFetch.call(globalThis, url, init) : undefined);
  if (!fetchImpl)
    throw new LanbridgeError(SdkErrorCode.INVALID_ARGUMENT, 'no fetch implementation: pass options.fetch');
  return {
    fetch: fetchImpl,
    WebSocket: opts.WebSocket ?? g.WebSocket,
    now: opts.now ?? (() => Date.now()),
    randomBytes: opts.randomBytes ?? defaultRandomBytes,
  };
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** A random RFC 4122 version 4 UUID from the runtime's random source. */
export function randomUuid(rt: Runtime): string {
  const b = rt.randomBytes(16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => HEX[x]).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new LanbridgeError(SdkErrorCode.ABORTED, 'cancelled'));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new LanbridgeError(SdkErrorCode.ABORTED, 'cancelled'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Exponential backoff with jitter: attempt 1 → about `initial`, doubling up to `max`. */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number, rt: Runtime): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
  const jitter = rt.randomBytes(1)[0] / 255; // 0..1
  return Math.round(base * (0.5 + 0.5 * jitter));
}

/** `scheme://host[:port]` of an http(s) URL, lower-cased, default port dropped; undefined if not one. */
export function originOf(url: string): string | undefined {
  const m = /^(https?):\/\/([^/?#@\s]+)(?:[/?#]|$)/i.exec(url.trim());
  if (!m) return undefined;
  const scheme = m[1].toLowerCase();
  let host = m[2].toLowerCase();
  if ((scheme === 'https' && host.endsWith(':443')) || (scheme === 'http' && host.endsWith(':80'))) {
    host = host.slice(0, host.lastIndexOf(':'));
  }
  return `${scheme}://${host}`;
}

/** Loopback hosts may be reached over plain http (development, tests); everything else needs https. */
export function isSecureOrigin(origin: string): boolean {
  if (origin.startsWith('https://')) return true;
  const host = origin.slice('http://'.length).replace(/:\d+$/, '');
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}
