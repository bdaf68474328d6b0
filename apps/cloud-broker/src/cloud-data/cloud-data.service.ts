import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';
import { AuditService, type RequestMeta } from '../audit/audit.service';
import { BROKER_LOGGER } from '../config/broker.config';
import { CloudDataRepository, type CloudDevice, type CloudEventLog, type CloudSettings } from './cloud-data.repository';

/** What the portal shows of an organisation's pushed site data. */
export interface SiteDataOverview {
  readonly settings: CloudSettings;
  readonly devices: readonly CloudDevice[];
  readonly eventLogs: readonly CloudEventLog[];
}

/** Devices listed at most; event logs shown (the newest). */
const DEVICES_SHOWN = 500;
export const EVENT_LOGS_SHOWN = 50;

/** The organisation's site data in the cloud: read for the portal, erased on request (audited). */
@Injectable()
export class CloudDataService {
  private readonly log: Logger;

  constructor(
    private readonly repo: CloudDataRepository,
    private readonly audit: AuditService,
    @Inject(BROKER_LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'cloud-data' });
  }

  async overview(orgId: string): Promise<SiteDataOverview> {
    const [settings, devices, eventLogs] = await Promise.all([
      this.repo.settings(orgId),
      this.repo.devices(orgId, DEVICES_SHOWN),
      this.repo.latestEventLogs(orgId, EVENT_LOGS_SHOWN),
    ]);
    return { settings, devices, eventLogs };
  }

  /** A company admin erases what the site pushed; the site keeps its own copy. */
  async deleteByAdmin(orgId: string, actor: { userId: string } & RequestMeta): Promise<void> {
    const deleted = await this.repo.deleteData(orgId);
    await this.audit.record({
      action: 'site_data.deleted',
      outcome: 'success',
      orgId,
      actorUserId: actor.userId,
      ip: actor.ip,
      userAgent: actor.userAgent,
      target: orgId,
      details: deleted,
    });
    this.log.info({ orgId, ...deleted, by: 'portal' }, 'stored site data deleted');
  }
}
