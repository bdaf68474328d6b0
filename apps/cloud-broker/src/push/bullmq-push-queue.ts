import type { Logger } from '@lanbridge/logging';
import { type Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { closeRedis, settleWithin } from '../common/redis-close';
import {
  type DeadPushJob,
  PUSH_DEAD_KEPT,
  PUSH_DEAD_QUEUE_NAME,
  PUSH_DONE_RETENTION_MS,
  PUSH_QUEUE_NAME,
  type PushJob,
  type PushProcessor,
  type PushQueue,
  type PushQueueOptions,
} from './push-queue';

export interface BullmqPushQueueOptions extends PushQueueOptions {
  readonly redisUrl: string;
  /** Redis key prefix (PUSH_QUEUE_PREFIX); parallel brokers/tests with other prefixes do not meet. */
  readonly prefix: string;
}

const DEAD_RETENTION_MS = 7 * 86_400_000;

/**
 * The push queue on Redis (BullMQ `lanbridge-push`): shared by every broker of a cluster, jobs
 * survive restarts. A job that failed its last attempt is copied to `lanbridge-push-dead`,
 * which nobody consumes: operators inspect it (and replay from it) with BullMQ tools.
 */
export class BullmqPushQueue implements PushQueue {
  readonly kind = 'bullmq' as const;
  private readonly queue: Queue<PushJob>;
  private readonly deadQueue: Queue<DeadPushJob>;
  private readonly producer: Redis;
  private worker: Worker<PushJob> | undefined;
  private workerConnection: Redis | undefined;
  private readonly log: Logger;

  constructor(
    private readonly opts: BullmqPushQueueOptions,
    logger: Logger,
  ) {
    this.log = logger.child({ component: 'push-queue', queue: 'bullmq' });
    // Producers fail fast while Redis is away (the site retries); the worker waits for it.
    this.producer = new Redis(opts.redisUrl, { maxRetriesPerRequest: 2, lazyConnect: false });
    this.producer.on('error', (err: Error) => this.log.warn({ err: err.message }, 'redis (push producer)'));
    this.queue = new Queue<PushJob>(PUSH_QUEUE_NAME, {
      connection: this.producer,
      prefix: opts.prefix,
      defaultJobOptions: {
        attempts: opts.attempts,
        backoff: { type: 'exponential', delay: opts.backoffMs },
        removeOnComplete: { age: Math.ceil(PUSH_DONE_RETENTION_MS / 1000) },
        removeOnFail: { age: Math.ceil(DEAD_RETENTION_MS / 1000), count: PUSH_DEAD_KEPT },
      },
    });
    this.deadQueue = new Queue<DeadPushJob>(PUSH_DEAD_QUEUE_NAME, { connection: this.producer, prefix: opts.prefix });
    // Without a listener BullMQ prints every connection error to the console, outside pino.
    for (const q of [this.queue, this.deadQueue]) {
      q.on('error', (err: Error) => this.log.debug({ err: err.message }, 'push queue error'));
    }
  }

  start(processor: PushProcessor): void {
    if (this.worker) return;
    this.workerConnection = new Redis(this.opts.redisUrl, { maxRetriesPerRequest: null });
    this.workerConnection.on('error', (err: Error) => this.log.warn({ err: err.message }, 'redis (push worker)'));
    this.worker = new Worker<PushJob>(PUSH_QUEUE_NAME, (job) => processor(job.data), {
      connection: this.workerConnection,
      prefix: this.opts.prefix,
      concurrency: this.opts.concurrency,
    });
    this.worker.on('failed', (job, err) => {
      if (job) void this.onFailed(job, err);
    });
    this.worker.on('error', (err) => this.log.warn({ err: err.message }, 'push worker error'));
  }

  async add(jobs: readonly PushJob[]): Promise<void> {
    if (jobs.length === 0) return;
    await this.queue.addBulk(jobs.map((data) => ({ name: 'deliver', data, opts: { jobId: data.id } })));
  }

  async dead(limit = PUSH_DEAD_KEPT): Promise<DeadPushJob[]> {
    const jobs = await this.deadQueue.getJobs(['waiting', 'delayed'], 0, Math.max(0, limit - 1), false);
    return jobs.map((j) => j.data);
  }

  async close(): Promise<void> {
    const graceful = (async () => {
      await this.worker?.close();
      await this.queue.close();
      await this.deadQueue.close();
    })();
    // BullMQ's close waits for a connection that never comes while Redis is away: then give it
    // a moment and drop the sockets (nothing could be written anyway).
    if (this.producer.status === 'ready') await graceful.catch(() => undefined);
    else await settleWithin(graceful, 1000);
    for (const c of [this.workerConnection, this.producer]) await closeRedis(c);
  }

  private async onFailed(job: Job<PushJob>, err: Error): Promise<void> {
    if (job.attemptsMade < (job.opts.attempts ?? 1)) return;
    const dead: DeadPushJob = {
      ...job.data,
      reason: err.message,
      attempts: job.attemptsMade,
      failedAt: new Date().toISOString(),
    };
    try {
      await this.deadQueue.add('dead', dead, { jobId: job.data.id });
      await this.deadQueue.clean(DEAD_RETENTION_MS, PUSH_DEAD_KEPT, 'wait');
      this.log.warn(
        { jobId: job.data.id, orgId: job.data.orgId, attempts: job.attemptsMade, reason: err.message },
        'push delivery failed for good; moved to the dead-letter queue',
      );
    } catch (e) {
      this.log.error({ err: e, jobId: job.data.id }, 'could not copy a failed push job to the dead-letter queue');
    }
  }
}
