import { Injectable } from '@nestjs/common';
import { CloudDataRepository, type CloudSettings } from '../cloud-data/cloud-data.repository';
import { PushService } from '../push/push.service';
import {
  type Parsed,
  parseDevices,
  parseEventLogs,
  parseNotifications,
  parseSettings,
  type Rejected,
  type SiteId,
} from './uplink-bodies';
import { UplinkError, UplinkErrorCode } from './uplink-error';

export interface Accepted {
  readonly accepted: readonly SiteId[];
  /** Items left out for their problems (absent when none). */
  readonly rejected?: readonly Rejected[];
}

function answer(parsed: Parsed<unknown>): Accepted {
  return parsed.rejected.length > 0 ? { accepted: parsed.ids, rejected: parsed.rejected } : { accepted: parsed.ids };
}

/** The uplink's routes: `METHOD /path` → what it does for the session's organisation. */
export type UplinkRoute = 'notifications' | 'devices' | 'event-logs' | 'settings' | 'data';

export const UPLINK_ROUTES: Readonly<Record<string, { readonly method: string; readonly route: UplinkRoute }>> = {
  '/v1/notifications': { method: 'POST', route: 'notifications' },
  '/v1/devices': { method: 'POST', route: 'devices' },
  '/v1/event-logs': { method: 'POST', route: 'event-logs' },
  '/v1/settings': { method: 'PUT', route: 'settings' },
  '/v1/data': { method: 'DELETE', route: 'data' },
};

/**
 * What a site sends to the cloud (docs/mobile-path.md §6). The organisation is always the
 * tunnel session's. Every item listed in `accepted` is stored (or was, by an earlier delivery
 * of the same id), so the site may delete it from its outbox; malformed items are listed in
 * `rejected` with their problems and nothing of them is stored.
 */
@Injectable()
export class UplinkService {
  constructor(
    private readonly cloudData: CloudDataRepository,
    private readonly push: PushService,
  ) {}

  /** `body` is the parsed JSON (undefined for DELETE without a body). */
  async handle(orgId: string, route: UplinkRoute, body: unknown): Promise<object> {
    switch (route) {
      case 'notifications':
        return this.notifications(orgId, body);
      case 'devices':
        return this.devices(orgId, body);
      case 'event-logs':
        return this.eventLogs(orgId, body);
      case 'settings':
        return this.settings(orgId, body);
      case 'data':
        return { deleted: await this.cloudData.deleteData(orgId) };
    }
  }

  private async notifications(orgId: string, body: unknown): Promise<Accepted> {
    const parsed = parseNotifications(body);
    await this.push.accept(orgId, parsed.items);
    return answer(parsed);
  }

  private async devices(orgId: string, body: unknown): Promise<Accepted> {
    const parsed = parseDevices(body);
    if (!(await this.cloudData.storeDevices(orgId, parsed.items))) throw disabled();
    return answer(parsed);
  }

  private async eventLogs(orgId: string, body: unknown): Promise<Accepted> {
    const parsed = parseEventLogs(body);
    if (!(await this.cloudData.storeEventLogs(orgId, parsed.items))) throw disabled();
    return answer(parsed);
  }

  private async settings(orgId: string, body: unknown): Promise<CloudSettings> {
    const s = parseSettings(body);
    await this.cloudData.putSettings(orgId, s);
    return s;
  }
}

function disabled(): UplinkError {
  return new UplinkError(
    UplinkErrorCode.CLOUD_DATA_DISABLED,
    'the organisation does not push data to the cloud (pushDataToCloud is off); nothing was stored',
  );
}
