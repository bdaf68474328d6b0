/**
 * Delivery jobs: one per (notification, subscription). Two implementations with the same
 * semantics: BullMQ on Redis (several brokers share it; jobs survive restarts) and an
 * in-process queue for a broker without Redis.
 *
 * - The job id is `org:eventId:subscriptionId`: adding a job whose id is queued, running or
 *   recently done is a no-op, so a redelivered notification is not sent twice.
 * - A processor that throws asks for another attempt; after PUSH_ATTEMPTS attempts with
 *   exponential backoff (base, 2·base, 4·base, …) the job goes to the dead-letter queue.
 */

export const PUSH_QUEUE_NAME = 'lanbridge-push';
export const PUSH_DEAD_QUEUE_NAME = 'lanbridge-push-dead';
export const PUSH_ATTEMPTS = 5;
/** Completed job ids remembered for de-duplication (BullMQ: completed jobs kept this long). */
export const PUSH_DONE_RETENTION_MS = 3_600_000;
/** Dead jobs kept (newest); older ones are dropped. */
export const PUSH_DEAD_KEPT = 1000;

export interface PushJob {
  /** `org:eventId:subscriptionId`. */
  readonly id: string;
  readonly orgId: string;
  readonly eventId: string;
  readonly subscriptionId: string;
  /** The notification as the device gets it (UTF-8 JSON). */
  readonly body: string;
  readonly urgency: 'normal' | 'high';
}

export interface DeadPushJob extends PushJob {
  readonly reason: string;
  readonly attempts: number;
  /** ISO timestamp of the last failure. */
  readonly failedAt: string;
}

/** Delivers one job; throwing means "try again later" (the error message is the reason). */
export type PushProcessor = (job: PushJob) => Promise<void>;

export interface PushQueueOptions {
  readonly attempts: number;
  /** First retry delay; doubles per attempt. */
  readonly backoffMs: number;
  readonly concurrency: number;
}

export interface PushQueue {
  readonly kind: 'bullmq' | 'in-process';
  /** Starts working jobs with `processor` (once). */
  start(processor: PushProcessor): void;
  /** Queues jobs; ids already known are skipped. Rejects when the queue cannot take them. */
  add(jobs: readonly PushJob[]): Promise<void>;
  /** Dead-letter jobs, newest first. */
  dead(limit?: number): Promise<DeadPushJob[]>;
  /** Stops taking jobs, lets running ones finish. */
  close(): Promise<void>;
}

export const PUSH_QUEUE = Symbol('PUSH_QUEUE');

export function pushJobId(orgId: string, eventId: string, subscriptionId: string): string {
  return `${orgId}:${eventId}:${subscriptionId}`;
}

export function backoffDelay(backoffMs: number, attemptsMade: number): number {
  return backoffMs * 2 ** Math.max(0, attemptsMade - 1);
}
