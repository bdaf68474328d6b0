/**
 * Reusable send buffers ("arenas") for the session's outgoing batches (SPEC.md §5, write path).
 *
 * A batch is built by copying frames into an arena, and the arena goes to the transport as one
 * message. It comes back to the pool when the transport reports that it is done with it (for a
 * WebSocket: the bytes reached the kernel). Reused arenas stay resident and warm in the cache,
 * so a bulk transfer neither allocates a buffer per message nor leaves the garbage collector
 * external memory to reclaim: on downloads through the connector, fresh buffers cost page faults
 * and full collections of about a third of its CPU (docs/benchmarks.md §1.9).
 *
 * Only batches of at least half an arena are lent; a smaller one is copied out to a buffer of
 * its own size and the arena reused at once, so messages queued on a slow link pin at most
 * twice their size. One pool per arena size and process, shared by all sessions: idle sessions
 * hold no arena, so a broker with thousands of idle tunnels keeps at most `maxFree` per size.
 */
export class ArenaPool {
  private readonly free: Buffer[] = [];

  constructor(
    readonly size: number,
    private readonly maxFree: number,
  ) {}

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  /** Give an arena back once nothing reads it any more; beyond `maxFree` it is left to the GC. */
  give(arena: Buffer): void {
    if (arena.length === this.size && this.free.length < this.maxFree) this.free.push(arena);
  }

  /** Arenas waiting for reuse (for tests and stats). */
  get freeCount(): number {
    return this.free.length;
  }
}

/** Arenas kept per size: enough for a few sessions sending at once, 2 MiB at the default size. */
const MAX_FREE_ARENAS = 8;
const pools = new Map<number, ArenaPool>();

export function arenaPool(size: number): ArenaPool {
  let pool = pools.get(size);
  if (!pool) {
    pool = new ArenaPool(size, MAX_FREE_ARENAS);
    pools.set(size, pool);
  }
  return pool;
}
