import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { In } from 'typeorm';
import type { Logger } from '@lanbridge/logging';
import type { AccessCoreConfig } from '../config/access-core.config';
import { ACCESS_CORE_CONFIG, ROOT_LOGGER } from '../config/config.tokens';
import type { JsonValue } from '../database/site-setting.entity';
import { SiteSettingRepository } from '../database/site-setting.repository';
import type { AccessEventEntity } from '../domain/access-event.entity';
import type { DeviceEntity } from '../domain/device.entity';
import { AreaRepository } from '../domain/device.repository';
import { PersonRepository } from '../domain/person.repository';
import { DomainEvents, type DomainEventMap } from '../events/domain-events';
import { EventLookups } from '../events/event-lookups';
import { SettingsService } from '../settings/settings.service';
import type { CloudSettings } from '../settings/settings.types';
import { CloudOutboxRepository, type OutboxKind } from './cloud-outbox.repository';
import { SETTINGS_SENT_KEY, UplinkWorker } from './uplink.worker';

/**
 * Turns domain events into `cloud_outbox` rows while the matching cloud setting is on
 * (docs/mobile-path.md §6): alarms and personnel notifications → `push` (recipients whose
 * notifications are on), device changes → `device`, access events → `event-log`, setting
 * changes → `settings` / `data-delete`. Writes run one after another in event order (push and
 * event-log rows queued meanwhile go in one insert), then the worker is woken. Nothing is queued
 * without CLOUD_UPLINK_URL.
 */
@Injectable()
export class CloudOutboxService
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnModuleDestroy
{
  private readonly logger: Logger;
  private readonly unsubscribe: (() => void)[] = [];
  private cloud: CloudSettings = { pushToApp: false, pushDataToCloud: false };
  private chain: Promise<void> = Promise.resolve();
  /** Rows waiting for their group's turn in the chain. */
  private openBatch: BatchItem[] | undefined;
  /** The write of `openBatch`. */
  private batchWritten: Promise<void> = Promise.resolve();

  constructor(
    @Inject(ACCESS_CORE_CONFIG) private readonly config: AccessCoreConfig,
    private readonly outbox: CloudOutboxRepository,
    private readonly worker: UplinkWorker,
    private readonly settings: SettingsService,
    private readonly siteSettings: SiteSettingRepository,
    private readonly lookups: EventLookups,
    private readonly people: PersonRepository,
    private readonly areas: AreaRepository,
    private readonly bus: DomainEvents,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ component: 'cloud-outbox' });
  }

  async onModuleInit(): Promise<void> {
    if (!this.config.CLOUD_UPLINK_URL) return;
    this.cloud = await this.settings.cloud();
    this.unsubscribe.push(
      this.bus.on('cloud.settings', ({ previous, next }) => {
        this.cloud = next;
        this.write('settings', () => this.settingsChanged(previous, next));
      }),
      // These two return when the row is queued, so a stored event counts as followed up only
      // then (EventDispatchService); one followed up again is queued again, and the cloud takes
      // an item it has seen (same event) without sending it twice.
      this.bus.on('notification.created', (n) => (this.cloud.pushToApp ? this.batch({ push: n }) : undefined)),
      this.bus.on('device.status', ({ device, online }) => {
        if (this.cloud.pushDataToCloud) this.write('device', () => this.queueDevice(device, online));
      }),
      this.bus.on('device.session', ({ device }) => {
        if (this.cloud.pushDataToCloud) this.write('device', () => this.queueDevice(device, device.online));
      }),
      this.bus.on('event.created', ({ event, device }) =>
        this.cloud.pushDataToCloud ? this.batch({ eventLog: eventLogPayload(event, device) }) : undefined,
      ),
      this.bus.on('person.erased', ({ personId }) => {
        this.write('erase', () => this.outbox.forgetPerson(personId));
      }),
    );
  }

  onApplicationBootstrap(): void {
    if (this.config.CLOUD_UPLINK_URL) this.write('settings', () => this.resendSettingsIfUnsent());
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.chain;
  }

  onModuleDestroy(): void {
    for (const off of this.unsubscribe.splice(0)) off();
  }

  private write(what: string, task: () => Promise<void>): void {
    // Rows queued from now on are written after this task.
    this.openBatch = undefined;
    void this.chainWrite(what, task).catch(() => undefined);
  }

  /** Runs `task` after the writes before it; the promise settles with it (the chain goes on either way). */
  private chainWrite(what: string, task: () => Promise<void>): Promise<void> {
    const written = this.chain.then(task).then(() => this.worker.wake());
    this.chain = written.catch((err: unknown) => this.logger.error({ err, what }, 'cloud outbox write failed'));
    return written;
  }

  /**
   * Push and event-log rows are written in groups: the rows queued until the group's turn in
   * the chain comes go in one insert (after at most one recipients query per kind), in order.
   */
  private batch(item: BatchItem): Promise<void> {
    let group = this.openBatch;
    if (!group) {
      const fresh: BatchItem[] = [];
      group = this.openBatch = fresh;
      this.batchWritten = this.chainWrite('batch', async () => {
        if (this.openBatch === fresh) this.openBatch = undefined;
        await this.writeBatch(fresh);
      });
    }
    group.push(item);
    return this.batchWritten;
  }

  private async writeBatch(items: readonly BatchItem[]): Promise<void> {
    const pushes = items.flatMap((i) => ('push' in i ? [i.push] : []));
    const operatorIds = new Set(pushes.flatMap((n) => (n.kind === 'alarm' ? n.operatorIds : [])));
    const personIds = [...new Set(pushes.flatMap((n) => (n.kind === 'alarm' ? [] : n.personIds)))];
    const notifiedOperators = new Set(
      operatorIds.size > 0
        ? (await this.lookups.activeOperators()).filter((o) => o.notificationsEnabled).map((o) => o.id)
        : [],
    );
    const notifiedPeople = new Set(
      personIds.length > 0
        ? (
            await this.people.orm.find({
              where: { id: In(personIds), disabled: false, notificationsEnabled: true },
              select: { id: true },
            })
          ).map((p) => p.id)
        : [],
    );
    const rows: { kind: OutboxKind; payload: { readonly [key: string]: JsonValue } }[] = [];
    for (const item of items) {
      if ('eventLog' in item) {
        rows.push({ kind: 'event-log', payload: item.eventLog });
        continue;
      }
      const n = item.push;
      const recipients =
        n.kind === 'alarm'
          ? [...new Set(n.operatorIds)]
              .filter((id) => notifiedOperators.has(id))
              .sort()
              .map((id) => `admin:${id}`)
          : [...new Set(n.personIds)]
              .filter((id) => notifiedPeople.has(id))
              .sort()
              .map((id) => `personnel:${id}`);
      if (recipients.length === 0) continue;
      // Ids only: the text is what the notification center already shows the recipients.
      const data: { [key: string]: string | null } =
        n.kind === 'alarm'
          ? { alarmId: n.alarmId, eventId: n.eventId }
          : { notificationId: n.notificationIds[0] ?? null, eventId: n.eventId };
      // The id the cloud knows the item by: the alarm, or the notification. A push queued again
      // for the same one (its event followed up again after a crash) is then taken as seen.
      const itemId = n.kind === 'alarm' ? n.alarmId : (n.notificationIds[0] ?? null);
      rows.push({
        kind: 'push',
        payload: {
          ...(itemId ? { id: itemId } : {}),
          recipients,
          notification: {
            type: n.kind === 'alarm' ? 'alarm' : 'notification',
            title: n.title,
            body: n.body,
            data,
            createdAt: n.createdAt.toISOString(),
          },
        },
      });
    }
    await this.outbox.enqueueMany(rows);
  }

  private async settingsChanged(previous: CloudSettings, next: CloudSettings): Promise<void> {
    if (previous.pushToApp === next.pushToApp && previous.pushDataToCloud === next.pushDataToCloud) return;
    await this.outbox.enqueue('settings', { pushToApp: next.pushToApp, pushDataToCloud: next.pushDataToCloud });
    if (previous.pushDataToCloud && !next.pushDataToCloud) {
      const dropped = await this.outbox.dropKinds(['device', 'event-log']);
      await this.outbox.enqueue('data-delete', {});
      this.logger.info({ dropped }, 'data push turned off: pending data dropped, deleting stored data in the cloud');
    }
  }

  // After an upgrade, a restore or a change the cloud never acknowledged, tell it again.
  private async resendSettingsIfUnsent(): Promise<void> {
    const sent = (await this.siteSettings.get(SETTINGS_SENT_KEY))?.value;
    const was = typeof sent === 'object' && sent !== null && !Array.isArray(sent) ? sent : undefined;
    const now = this.cloud;
    if (was === undefined && !now.pushToApp && !now.pushDataToCloud) return;
    if (was?.pushToApp === now.pushToApp && was.pushDataToCloud === now.pushDataToCloud) return;
    if ((await this.outbox.control()).some((r) => r.kind === 'settings')) return;
    await this.outbox.enqueue('settings', { pushToApp: now.pushToApp, pushDataToCloud: now.pushDataToCloud });
  }

  private async queueDevice(device: DeviceEntity, online: boolean): Promise<void> {
    const area = device.areaId ? await this.areas.orm.findOneBy({ id: device.areaId }) : null;
    await this.outbox.replaceDevice({
      sn: device.sn,
      name: device.alias,
      online,
      firmware: device.firmware,
      area: area?.name ?? null,
      lastSeenAt: device.lastSeenAt?.toISOString() ?? null,
    });
  }
}

type BatchItem =
  | { readonly push: DomainEventMap['notification.created'] }
  | { readonly eventLog: { readonly [key: string]: JsonValue } };

// No person data: no pin, card, name or picture leaves the site.
function eventLogPayload(event: AccessEventEntity, device: DeviceEntity | null): { readonly [key: string]: JsonValue } {
  return {
    id: event.id,
    time: event.time.toISOString(),
    deviceSn: event.deviceSn,
    deviceName: device?.alias ?? null,
    eventCode: event.code,
    eventName: event.name,
    level: event.level,
  };
}
