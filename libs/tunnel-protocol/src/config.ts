/**
 * Session configuration: `defaultTunnelConfig()` + overrides, checked by `verifyTunnelConfig()`.
 * Every buffer and timer in a session is bounded by one of these numbers.
 */
export interface TunnelConfig {
  /** Largest frame payload this side accepts (and sends). DATA is split to fit. Default 256 KiB. */
  readonly maxFramePayload: number;
  /** Largest encoded OPEN / HEAD payload (request or response head). Default 64 KiB. */
  readonly maxHeaderBytes: number;
  /** Largest WebSocket message accepted (several frames may share one). Default 4 MiB. */
  readonly maxMessageBytes: number;
  /** Streams the peer may have open at once; more are refused with STREAM_LIMIT. Default 1,000. */
  readonly maxConcurrentStreams: number;
  /** Initial per-stream receive window (credit) in bytes. Default 2 MiB. */
  readonly initialStreamWindow: number;
  /**
   * Largest per-stream receive window. A stream whose reader keeps up with a window-limited
   * sender has its window doubled, up to this size (SPEC.md §7). Default 16 MiB.
   */
  readonly maxStreamWindow: number;
  /**
   * Total bytes by which the windows of one session's streams may grow past their initial size
   * together: the memory a session can pin beyond the initial windows. Default 64 MiB.
   */
  readonly sessionWindowGrowth: number;
  /** Ping interval in ms. Default 5,000. */
  readonly pingIntervalMs: number;
  /** A peer that answers nothing for this long is dead; the tunnel closes with TIMEOUT. Default 15,000. */
  readonly pingTimeoutMs: number;
  /** Time allowed for the authentication handshake. Default 10,000. */
  readonly handshakeTimeoutMs: number;
  /** After GOAWAY, how long in-flight streams may run before they are reset. Default 30,000. */
  readonly drainTimeoutMs: number;
  /** Bytes queued on the transport above which stream writers are paused. Default 8 MiB. */
  readonly transportHighWaterMark: number;
}

export function defaultTunnelConfig(): TunnelConfig {
  return {
    maxFramePayload: 256 * 1024,
    maxHeaderBytes: 64 * 1024,
    maxMessageBytes: 4 * 1024 * 1024,
    maxConcurrentStreams: 1000,
    initialStreamWindow: 2 * 1024 * 1024,
    maxStreamWindow: 16 * 1024 * 1024,
    sessionWindowGrowth: 64 * 1024 * 1024,
    pingIntervalMs: 5000,
    pingTimeoutMs: 15000,
    handshakeTimeoutMs: 10000,
    drainTimeoutMs: 30000,
    transportHighWaterMark: 8 * 1024 * 1024,
  };
}

/** Returns the list of problems (empty when the config is sound). */
export function verifyTunnelConfig(c: TunnelConfig): string[] {
  const p: string[] = [];
  const pos = (k: keyof TunnelConfig): void => {
    if (!Number.isInteger(c[k]) || c[k] <= 0) p.push(`${k} must be a positive integer`);
  };
  (Object.keys(c) as (keyof TunnelConfig)[]).forEach(pos);
  if (c.maxFramePayload > 16 * 1024 * 1024 - 1) p.push('maxFramePayload must be < 16 MiB');
  if (c.maxMessageBytes < c.maxFramePayload + 16) p.push('maxMessageBytes must hold at least one full frame');
  if (c.maxHeaderBytes > c.maxFramePayload) p.push('maxHeaderBytes must be <= maxFramePayload');
  if (c.initialStreamWindow < c.maxFramePayload) p.push('initialStreamWindow must be >= maxFramePayload');
  if (c.maxStreamWindow < c.initialStreamWindow) p.push('maxStreamWindow must be >= initialStreamWindow');
  if (c.maxStreamWindow > 0x7fffffff) p.push('maxStreamWindow must be < 2 GiB');
  if (c.pingTimeoutMs <= c.pingIntervalMs) p.push('pingTimeoutMs must be > pingIntervalMs');
  if (c.maxConcurrentStreams > 2 ** 20) p.push('maxConcurrentStreams must be <= 1,048,576');
  return p;
}

export function resolveTunnelConfig(overrides: Partial<TunnelConfig> = {}): TunnelConfig {
  const c = { ...defaultTunnelConfig(), ...overrides };
  const problems = verifyTunnelConfig(c);
  if (problems.length) throw new Error(`Invalid tunnel config: ${problems.join('; ')}`);
  return c;
}
