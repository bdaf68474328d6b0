// One suite, both push queues (BullMQ on the real Redis, and in-process): job-id de-duplication,
// exponential backoff, and the dead-letter queue after the last attempt. Deliveries go through
// the real WebPushProvider to a local push service that decrypts them.
import { randomBytes } from 'node:crypto';
import { createLogger } from '@lanbridge/logging';
import { BullmqPushQueue } from '../../src/push/bullmq-push-queue';
import { InProcessPushQueue } from '../../src/push/in-process-push-queue';
import { PUSH_ATTEMPTS, type PushJob, type PushQueue, pushJobId } from '../../src/push/push-queue';
import { generateVapidKeys } from '../../src/push/vapid-keys';
import { WebPushProvider } from '../../src/push/web-push.provider';
import { dropRedisPrefix, LocalPushService, sleep, type TestSubscription, waitUntil } from './support';

const logger = createLogger('push-queue-e2e', { level: process.env.LOG_LEVEL ?? 'silent' });
const BACKOFF_MS = 60;
const vapid = generateVapidKeys();

const REDIS_URL = 'redis://127.0.0.1:6379';
const PREFIX = `lbtest-queue-${randomBytes(4).toString('hex')}`;

function makeQueue(kind: 'bullmq' | 'in-process'): PushQueue {
  const opts = { attempts: PUSH_ATTEMPTS, backoffMs: BACKOFF_MS, concurrency: 4 };
  return kind === 'bullmq'
    ? new BullmqPushQueue({ ...opts, redisUrl: REDIS_URL, prefix: PREFIX }, logger)
    : new InProcessPushQueue(opts, logger);
}

describe.each(['bullmq', 'in-process'] as const)('push queue (%s)', (kind) => {
  const push = new LocalPushService();
  let provider: WebPushProvider;
  const subs = new Map<string, TestSubscription>();
  let queue: PushQueue;

  const job = (sub: TestSubscription, eventId: string): PushJob => {
    const id = [...subs].find(([, s]) => s === sub)?.[0] ?? '';
    return {
      id: pushJobId('org-1', eventId, id),
      orgId: 'org-1',
      eventId,
      subscriptionId: id,
      body: JSON.stringify({ v: 1, id: eventId }),
      urgency: 'normal',
    };
  };
  const subscription = (): TestSubscription => {
    const s = push.subscription();
    subs.set(randomBytes(8).toString('hex'), s);
    return s;
  };

  beforeAll(async () => {
    await push.start();
    provider = new WebPushProvider({
      vapid: () => vapid,
      subject: 'mailto:ops@example.test',
      ttlS: 60,
      // The local push service, by its host and port, on plain http: a test setting.
      endpoints: { hosts: [new URL(push.url).host], allowInsecure: true },
      logger,
    });
    queue = makeQueue(kind);
    queue.start(async (j) => {
      const sub = subs.get(j.subscriptionId);
      if (!sub) return;
      const r = await provider.send({ id: j.subscriptionId, endpoint: sub.endpoint, keys: sub.keys }, j);
      if ('retry' in r) throw new Error(r.reason);
    });
  });

  afterAll(async () => {
    await queue?.close();
    await push.stop();
    if (kind === 'bullmq') await dropRedisPrefix(REDIS_URL, PREFIX);
  });

  it('runs a job id once, however often it is added', async () => {
    const sub = subscription();
    const j = job(sub, 'e1');
    await Promise.all([queue.add([j, j]), queue.add([j])]);
    await waitUntil('the delivery', () => sub.received.length === 1);
    await queue.add([j]);
    await sleep(300);
    expect(sub.attempts).toHaveLength(1);
    expect(sub.received[0]?.message).toEqual({ v: 1, id: 'e1' });
  });

  it('retries with exponential backoff and succeeds', async () => {
    const sub = subscription();
    sub.script.push(503, 500, 429);
    await queue.add([job(sub, 'e2')]);
    await waitUntil('the delivery', () => sub.received.length === 1);
    const at = sub.attempts.map((a) => a.at);
    const gaps = at.slice(1).map((t, i) => t - (at[i] ?? 0));
    expect(gaps).toHaveLength(3);
    gaps.forEach((g, i) => expect(g).toBeGreaterThanOrEqual(BACKOFF_MS * 2 ** i * 0.9));
  });

  it(`moves a job to the dead-letter queue after ${PUSH_ATTEMPTS} failed attempts`, async () => {
    const sub = subscription();
    sub.script.push(...Array<number>(10).fill(500));
    const j = job(sub, 'e3');
    await queue.add([j]);
    await waitUntil('the dead letter', async () => (await queue.dead()).some((d) => d.id === j.id), 20_000);
    const dead = (await queue.dead()).find((d) => d.id === j.id);
    expect(dead).toMatchObject({ ...j, attempts: PUSH_ATTEMPTS, reason: 'push service answered 500' });
    expect(sub.attempts).toHaveLength(PUSH_ATTEMPTS);
    await sleep(BACKOFF_MS * 20);
    expect(sub.attempts).toHaveLength(PUSH_ATTEMPTS);
  });
});
