import type { Logger } from '@lanbridge/logging';
import {
  backoffDelay,
  type DeadPushJob,
  PUSH_DEAD_KEPT,
  PUSH_DONE_RETENTION_MS,
  type PushJob,
  type PushProcessor,
  type PushQueue,
  type PushQueueOptions,
} from './push-queue';

/** Jobs waiting or retrying at once; beyond it add() rejects and the site retries later. */
export const IN_PROCESS_MAX_PENDING = 50_000;
/** Finished job ids remembered for de-duplication, at most. */
const MAX_REMEMBERED = 100_000;

interface Entry {
  readonly job: PushJob;
  attemptsMade: number;
}

export class PushQueueFullError extends Error {
  constructor() {
    super(`push queue holds ${IN_PROCESS_MAX_PENDING} jobs`);
    this.name = 'PushQueueFullError';
  }
}

/**
 * The push queue of a broker without Redis: same job ids, attempts, backoff and dead letters as
 * the BullMQ queue, kept in this process (queued jobs are lost when it stops).
 */
export class InProcessPushQueue implements PushQueue {
  readonly kind = 'in-process' as const;
  private processor: PushProcessor | undefined;
  private readonly ready: Entry[] = [];
  /** Every job id queued, running or retrying. */
  private readonly pending = new Map<string, Entry>();
  /** Finished ids → when they may be forgotten (insertion order = age). */
  private readonly done = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly deadJobs: DeadPushJob[] = [];
  private active = 0;
  private closed = false;
  private idle: (() => void) | undefined;
  private readonly log: Logger;

  constructor(
    private readonly opts: PushQueueOptions,
    logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.log = logger.child({ component: 'push-queue', queue: 'in-process' });
  }

  start(processor: PushProcessor): void {
    this.processor ??= processor;
    this.pump();
  }

  add(jobs: readonly PushJob[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('push queue is closed'));
    this.forgetOld();
    const fresh = jobs.filter((j) => !this.pending.has(j.id) && !this.done.has(j.id));
    if (this.pending.size + fresh.length > IN_PROCESS_MAX_PENDING) return Promise.reject(new PushQueueFullError());
    for (const job of fresh) {
      if (this.pending.has(job.id)) continue;
      const e: Entry = { job, attemptsMade: 0 };
      this.pending.set(job.id, e);
      this.ready.push(e);
    }
    this.pump();
    return Promise.resolve();
  }

  dead(limit = PUSH_DEAD_KEPT): Promise<DeadPushJob[]> {
    return Promise.resolve(this.deadJobs.slice(-limit).reverse());
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.active > 0) await new Promise<void>((resolve) => (this.idle = resolve));
  }

  private pump(): void {
    const processor = this.processor;
    if (!processor) return;
    while (!this.closed && this.active < this.opts.concurrency && this.ready.length > 0) {
      const e = this.ready.shift();
      if (e) void this.run(processor, e);
    }
  }

  private async run(processor: PushProcessor, e: Entry): Promise<void> {
    this.active++;
    let failure: string | undefined;
    try {
      await processor(e.job);
    } catch (err) {
      failure = err instanceof Error ? err.message : String(err);
    }
    e.attemptsMade++;
    this.active--;
    if (failure === undefined) this.finish(e);
    else if (e.attemptsMade >= this.opts.attempts) this.bury(e, failure);
    else if (!this.closed) this.retryLater(e);
    if (this.active === 0 && this.idle) this.idle();
    this.pump();
  }

  private retryLater(e: Entry): void {
    const t = setTimeout(
      () => {
        this.timers.delete(t);
        this.ready.push(e);
        this.pump();
      },
      backoffDelay(this.opts.backoffMs, e.attemptsMade),
    );
    this.timers.add(t);
  }

  private finish(e: Entry): void {
    this.pending.delete(e.job.id);
    this.done.set(e.job.id, this.now() + PUSH_DONE_RETENTION_MS);
    if (this.done.size > MAX_REMEMBERED) {
      const oldest = this.done.keys().next().value;
      if (oldest !== undefined) this.done.delete(oldest);
    }
  }

  private bury(e: Entry, reason: string): void {
    this.finish(e);
    this.deadJobs.push({ ...e.job, reason, attempts: e.attemptsMade, failedAt: new Date(this.now()).toISOString() });
    if (this.deadJobs.length > PUSH_DEAD_KEPT) this.deadJobs.shift();
    this.log.warn(
      { jobId: e.job.id, orgId: e.job.orgId, attempts: e.attemptsMade, reason },
      'push delivery failed for good; moved to the dead-letter queue',
    );
  }

  private forgetOld(): void {
    const now = this.now();
    for (const [id, until] of this.done) {
      if (until > now) break;
      this.done.delete(id);
    }
  }
}
