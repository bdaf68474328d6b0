/** Hellos remembered at most; beyond this the oldest is forgotten (its login then fails). */
export const MAX_PENDING_HELLOS = 10_000;

interface PendingHello {
  readonly nonce: string;
  readonly expiresAt: number;
}

/**
 * Outstanding hello ids (`hid`), each usable once until it expires. In process memory on
 * purpose: a hello lives two minutes and access-core runs as one process per site. Every entry
 * has the same lifetime, so insertion order is expiry order and the oldest is evicted first.
 */
export class HelloStore {
  private readonly pending = new Map<string, PendingHello>();

  constructor(
    private readonly ttlMs: number,
    private readonly max = MAX_PENDING_HELLOS,
  ) {}

  remember(hid: string, nonce: string, nowMs: number): void {
    this.sweep(nowMs);
    while (this.pending.size >= this.max) {
      const oldest = this.pending.keys().next().value;
      if (oldest === undefined) break;
      this.pending.delete(oldest);
    }
    this.pending.set(hid, { nonce, expiresAt: nowMs + this.ttlMs });
  }

  /**
   * True when `hid` is outstanding, unexpired and was issued for `nonce`. Any attempt uses the
   * hid up, so a wrong nonce cannot be followed by a guess.
   */
  consume(hid: string, nonce: string, nowMs: number): boolean {
    const hello = this.pending.get(hid);
    if (!hello) return false;
    this.pending.delete(hid);
    return hello.expiresAt > nowMs && hello.nonce === nonce;
  }

  get size(): number {
    return this.pending.size;
  }

  private sweep(nowMs: number): void {
    for (const [hid, hello] of this.pending) {
      if (hello.expiresAt > nowMs) return;
      this.pending.delete(hid);
    }
  }
}
