import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';
import { ROOT_LOGGER } from '../config/config.tokens';
import { DomainEvents } from '../events/domain-events';
import { StreamHub } from '../realtime/stream.hub';
import { AlarmsService } from './alarms.service';

/** Forwards alarms and device status from the domain bus to administrators on the stream. */
@Injectable()
export class LiveFeedService implements OnModuleInit, OnModuleDestroy {
  private readonly logger: Logger;
  private readonly unsubscribe: (() => void)[] = [];
  private feed: Promise<void> = Promise.resolve();

  constructor(
    private readonly events: DomainEvents,
    private readonly hub: StreamHub,
    private readonly alarms: AlarmsService,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ component: 'live-feed' });
  }

  onModuleInit(): void {
    this.unsubscribe.push(
      // Published even with nobody connected: the stream log lets phones catch up (resume).
      // Views are built concurrently (usually from cached names, no query) and published in
      // the order the alarms were raised. Keyed by the alarm, so an alarm followed up again
      // after a restart is published once; the returned promise settles when it is stored.
      this.events.on('alarm.created', ({ alarm, event }) => {
        const view = this.alarms.viewOf(alarm, event);
        let stored: Promise<boolean> = Promise.resolve(true);
        // Handed to the hub in order without waiting for the previous one to be stored, so
        // alarms raised together are stored and delivered together.
        const handed = this.feed
          .then(() => view)
          .then((data) => {
            if (data)
              stored = this.hub.publish({ roles: ['admin'] }, { type: 'alarm', data, key: `alarm:${alarm.id}` });
          });
        this.feed = handed.catch((err: unknown) =>
          this.logger.error({ err, alarmId: alarm.id }, 'alarm not forwarded'),
        );
        return handed.then(async () => {
          if (!(await stored)) throw new Error('alarm not stored in the stream log');
        });
      }),
      this.events.on('device.status', ({ device, online, reason }) => {
        void this.hub.publish(
          { roles: ['admin'] },
          {
            type: 'device-status',
            data: {
              deviceId: device.id,
              sn: device.sn,
              name: device.alias,
              areaId: device.areaId,
              online,
              reason,
              lastSeenAt: device.lastSeenAt?.toISOString() ?? null,
            },
          },
        );
      }),
    );
  }

  onModuleDestroy(): void {
    for (const u of this.unsubscribe.splice(0)) u();
  }
}
