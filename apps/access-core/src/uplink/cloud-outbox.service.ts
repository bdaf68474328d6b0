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
import { SiteSettingRepository } from '../database/site-setting.repository';
import type { AccessEventEntity } from '../domain/access-event.entity';
import type { DeviceEntity } from '../domain/device.entity';
import { AreaRepository } from '../domain/device.repository';
import { OperatorRepository } from '../domain/operator.repository';
import { PersonRepository } from '../domain/person.repository';
import { DomainEvents, type DomainEventMap } from '../events/domain-events';
import { SettingsService } from '../settings/settings.service';
import type { CloudSettings } from '../settings/settings.types';
import { CloudOutboxRepository } from './cloud-outbox.repository';
import { SETTINGS_SENT_KEY, UplinkWorker } from './uplink.worker';

/**
 * Turns domain events into `cloud_outbox` rows while the matching cloud setting is on
 * (docs/mobile-path.md §6): alarms and personnel notifications → `push` (recipients whose
 * notifications are on), device changes → `device`, access events → `event-log`, setting
 * changes → `settings` / `data-delete`. Rows are written one at a time in event order, then the
 * worker is woken. Nothing is queued without CLOUD_UPLINK_URL.
 */
@Injectable()
export class CloudOutboxService
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnModuleDestroy
{
  private readonly logger: Logger;
  private readonly unsubscribe: (() => void)[] = [];
  private cloud: CloudSettings = { pushToApp: false, pushDataToCloud: false, brokerUri: null };
  private chain: Promise<void> = Promise.resolve();

  constructor(
    @Inject(ACCESS_CORE_CONFIG) private readonly config: AccessCoreConfig,
    private readonly outbox: CloudOutboxRepository,
    private readonly worker: UplinkWorker,
    private readonly settings: SettingsService,
    private readonly siteSettings: SiteSettingRepository,
    private readonly operators: OperatorRepository,
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
      this.bus.on('notification.created', (n) => {
        if (this.cloud.pushToApp) this.write('push', () => this.queuePush(n));
      }),
      this.bus.on('device.status', ({ device, online }) => {
        if (this.cloud.pushDataToCloud) this.write('device', () => this.queueDevice(device, online));
      }),
      this.bus.on('device.session', ({ device }) => {
        if (this.cloud.pushDataToCloud) this.write('device', () => this.queueDevice(device, device.online));
      }),
      this.bus.on('event.created', ({ event, device }) => {
        if (this.cloud.pushDataToCloud) this.write('event-log', () => this.queueEventLog(event, device));
      }),
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
    this.chain = this.chain
      .then(task)
      .then(() => this.worker.wake())
      .catch((err: unknown) => this.logger.error({ err, what }, 'cloud outbox write failed'));
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

  private async queuePush(n: DomainEventMap['notification.created']): Promise<void> {
    const recipients =
      n.kind === 'alarm'
        ? (
            await this.operators.orm.find({
              where: { id: In([...n.operatorIds]), disabled: false, notificationsEnabled: true },
              select: { id: true },
              order: { id: 'ASC' },
            })
          ).map((o) => `admin:${o.id}`)
        : (
            await this.people.orm.find({
              where: { id: In([...n.personIds]), disabled: false, notificationsEnabled: true },
              select: { id: true },
              order: { id: 'ASC' },
            })
          ).map((p) => `personnel:${p.id}`);
    if (recipients.length === 0) return;
    // Ids only: the text is what the notification center already shows the recipients.
    const data: { [key: string]: string | null } =
      n.kind === 'alarm'
        ? { alarmId: n.alarmId, eventId: n.eventId }
        : { notificationId: n.notificationIds[0] ?? null, eventId: n.eventId };
    await this.outbox.enqueue('push', {
      recipients,
      notification: {
        type: n.kind === 'alarm' ? 'alarm' : 'notification',
        title: n.title,
        body: n.body,
        data,
        createdAt: n.createdAt.toISOString(),
      },
    });
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

  // No person data: no pin, card, name or picture leaves the site.
  private async queueEventLog(event: AccessEventEntity, device: DeviceEntity | null): Promise<void> {
    await this.outbox.enqueue('event-log', {
      id: event.id,
      time: event.time.toISOString(),
      deviceSn: event.deviceSn,
      deviceName: device?.alias ?? null,
      eventCode: event.code,
      eventName: event.name,
      level: event.level,
    });
  }
}
