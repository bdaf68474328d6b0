import { Module } from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';
import { BROKER_CONFIG, BROKER_LOGGER, type BrokerConfig } from '../config/broker.config';
import { BullmqPushQueue } from './bullmq-push-queue';
import { InProcessPushQueue } from './in-process-push-queue';
import { PUSH_PROVIDER } from './push-provider';
import { PUSH_ATTEMPTS, PUSH_QUEUE, type PushQueue } from './push-queue';
import { PushSubscriptionRepository } from './push-subscription.repository';
import { PushSubscriptionsController } from './push-subscriptions.controller';
import { PushService } from './push.service';
import { VapidKeyService } from './vapid-key.service';
import { WebPushProvider } from './web-push.provider';

/** Deliveries running at once per broker. */
const PUSH_CONCURRENCY = 16;

/**
 * Background push (docs/mobile-path.md §7): VAPID keys, subscriptions API, the delivery queue
 * (BullMQ when REDIS_URL is set, else in-process) and the Web Push provider. Needs the global
 * DataSource, BROKER_CONFIG, BROKER_LOGGER and SiteTrustService.
 */
@Module({
  controllers: [PushSubscriptionsController],
  providers: [
    PushSubscriptionRepository,
    VapidKeyService,
    PushService,
    {
      provide: PUSH_QUEUE,
      inject: [BROKER_CONFIG, BROKER_LOGGER],
      useFactory: (config: BrokerConfig, logger: Logger): PushQueue => {
        const opts = { attempts: PUSH_ATTEMPTS, backoffMs: config.push.retryBaseMs, concurrency: PUSH_CONCURRENCY };
        return config.redisUrl
          ? new BullmqPushQueue({ ...opts, redisUrl: config.redisUrl, prefix: config.push.queuePrefix }, logger)
          : new InProcessPushQueue(opts, logger);
      },
    },
    {
      provide: PUSH_PROVIDER,
      inject: [VapidKeyService, BROKER_CONFIG, BROKER_LOGGER],
      useFactory: (vapid: VapidKeyService, config: BrokerConfig, logger: Logger) =>
        new WebPushProvider({
          vapid: () => vapid.keys(),
          subject: config.push.vapidSubject,
          ttlS: config.push.ttlS,
          endpoints: config.push.endpoints,
          logger,
        }),
    },
  ],
  exports: [PushService],
})
export class PushModule {}
