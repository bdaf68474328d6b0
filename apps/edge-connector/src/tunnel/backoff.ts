/**
 * Reconnect delays with full jitter: sleep = random(0, min(maxMs, baseMs · 2^attempt)).
 *
 * The attempt counter grows with each failed dial and resets once a session has stayed up for
 * `healthyResetMs`, so a connector that flaps after long healthy periods reconnects quickly,
 * while one that keeps failing backs off to the cap. Full jitter spreads a fleet of connectors
 * that lost the same broker over the whole window instead of making them retry in waves.
 */
export interface BackoffOptions {
  /** First ceiling, in ms. */
  readonly baseMs: number;
  /** Largest ceiling, in ms. */
  readonly maxMs: number;
  /** A session that stays up this long resets the attempt counter. */
  readonly healthyResetMs: number;
  /** Uniform random in [0, 1); injectable for tests. */
  readonly random?: () => number;
  /** Clock in ms; injectable for tests. */
  readonly now?: () => number;
}

/** Beyond this exponent the ceiling is at the cap anyway; bounding it avoids Infinity. */
const MAX_EXPONENT = 30;

export class Backoff {
  private attemptCount = 0;
  private upSince: number | undefined;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(private readonly opts: BackoffOptions) {
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? Date.now;
  }

  /** Failed dials since the last healthy session. */
  get attempt(): number {
    return this.attemptCount;
  }

  /** The ceiling the next `nextDelay()` draws under. */
  ceiling(): number {
    return Math.min(this.opts.maxMs, this.opts.baseMs * 2 ** Math.min(this.attemptCount, MAX_EXPONENT));
  }

  /** Delay before the next dial; advances the attempt counter. */
  nextDelay(): number {
    const delay = Math.floor(this.random() * this.ceiling());
    this.attemptCount = Math.min(this.attemptCount + 1, MAX_EXPONENT);
    return delay;
  }

  /**
   * Delay after the broker refused our credentials (AUTH_FAILED, REVOKED): retrying sooner
   * cannot help until an operator acts, so stay at the cap. The lower half is kept free of
   * retries so a fleet never hammers the broker, the upper half is jittered.
   */
  authFailureDelay(): number {
    this.attemptCount = MAX_EXPONENT;
    const half = this.opts.maxMs / 2;
    return Math.floor(half + this.random() * half);
  }

  /** A session came up. */
  connected(): void {
    this.upSince = this.now();
  }

  /** The session went down; a long enough healthy run forgets earlier failures. */
  disconnected(): void {
    if (this.upSince !== undefined && this.now() - this.upSince >= this.opts.healthyResetMs) {
      this.attemptCount = 0;
    }
    this.upSince = undefined;
  }

  reset(): void {
    this.attemptCount = 0;
    this.upSince = undefined;
  }
}
