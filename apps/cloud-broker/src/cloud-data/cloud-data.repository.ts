import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Sql } from '../accounts/sql';

/** The organisation's cloud settings, as the site last sent them (off until it does). */
export interface CloudSettings {
  readonly pushToApp: boolean;
  readonly pushDataToCloud: boolean;
}

export interface CloudDevice {
  readonly sn: string;
  readonly name: string | null;
  readonly online: boolean;
  readonly firmware: string | null;
  readonly area: string | null;
  readonly lastSeenAt: Date | null;
  readonly updatedAt?: Date;
}

export interface CloudEventLog {
  /** The site's id of the event (unique per organisation). */
  readonly id: string;
  readonly time: Date;
  readonly deviceSn: string | null;
  readonly deviceName: string | null;
  readonly eventCode: string | null;
  readonly eventName: string | null;
  readonly level: string | null;
}

/** Event logs kept per organisation; older ones are dropped as new ones arrive. */
export const EVENT_LOGS_KEPT = 10_000;

interface DeviceRow {
  sn: string;
  name: string | null;
  online: boolean;
  firmware: string | null;
  area: string | null;
  last_seen_at: Date | null;
  updated_at: Date;
}

interface EventLogRow {
  site_event_id: string;
  time: Date;
  device_sn: string | null;
  device_name: string | null;
  event_code: string | null;
  event_name: string | null;
  level: string | null;
}

/** Rows `n` of `width` placeholders each, from $`offset + 1`: `($2, $3), ($4, $5)`. */
function placeholders(n: number, width: number, offset = 1): string {
  const rows: string[] = [];
  for (let r = 0; r < n; r++) {
    const cols: string[] = [];
    for (let c = 0; c < width; c++) cols.push(`$${offset + 1 + r * width + c}`);
    rows.push(`(${cols.join(', ')})`);
  }
  return rows.join(', ');
}

@Injectable()
export class CloudDataRepository {
  private readonly sql: Sql;

  constructor(dataSource: DataSource) {
    this.sql = new Sql(dataSource);
  }

  async settings(orgId: string): Promise<CloudSettings> {
    const row = await this.sql.one<{ push_to_app: boolean; push_data_to_cloud: boolean }>(
      `SELECT "push_to_app", "push_data_to_cloud" FROM ${this.sql.t('org_cloud_setting')} WHERE "org_id" = $1`,
      [orgId],
    );
    return { pushToApp: row?.push_to_app ?? false, pushDataToCloud: row?.push_data_to_cloud ?? false };
  }

  async putSettings(orgId: string, s: CloudSettings): Promise<void> {
    await this.sql.rows(
      `INSERT INTO ${this.sql.t('org_cloud_setting')} ("org_id", "push_to_app", "push_data_to_cloud")
       VALUES ($1, $2, $3)
       ON CONFLICT ("org_id") DO UPDATE
         SET "push_to_app" = EXCLUDED."push_to_app", "push_data_to_cloud" = EXCLUDED."push_data_to_cloud",
             "updated_at" = now()`,
      [orgId, s.pushToApp, s.pushDataToCloud],
    );
  }

  /**
   * Upserts devices by serial number, only while the organisation's data push is on (checked
   * under a share lock on the settings row, so a concurrent switch-off waits). False = refused.
   */
  storeDevices(orgId: string, devices: readonly CloudDevice[]): Promise<boolean> {
    return this.sql.tx(async (tx) => {
      if (!(await this.dataEnabled(tx, orgId))) return false;
      if (devices.length === 0) return true;
      const params: unknown[] = [orgId];
      for (const d of devices) params.push(d.sn, d.name, d.online, d.firmware, d.area, d.lastSeenAt);
      await tx.rows(
        `INSERT INTO ${tx.t('cloud_device')} ("org_id", "sn", "name", "online", "firmware", "area", "last_seen_at")
         SELECT $1::uuid, v.sn, v.name, v.online::boolean, v.firmware, v.area, v.last_seen_at::timestamptz
           FROM (VALUES ${placeholders(devices.length, 6)}) AS v(sn, name, online, firmware, area, last_seen_at)
         ON CONFLICT ("org_id", "sn") DO UPDATE
           SET "name" = EXCLUDED."name", "online" = EXCLUDED."online", "firmware" = EXCLUDED."firmware",
               "area" = EXCLUDED."area", "last_seen_at" = EXCLUDED."last_seen_at", "updated_at" = now()`,
        params,
      );
      return true;
    });
  }

  /** Inserts event logs once per (organisation, site event id); same rule as storeDevices. */
  storeEventLogs(orgId: string, logs: readonly CloudEventLog[]): Promise<boolean> {
    return this.sql.tx(async (tx) => {
      if (!(await this.dataEnabled(tx, orgId))) return false;
      if (logs.length === 0) return true;
      const params: unknown[] = [orgId];
      for (const l of logs) params.push(l.id, l.time, l.deviceSn, l.deviceName, l.eventCode, l.eventName, l.level);
      await tx.rows(
        `INSERT INTO ${tx.t('cloud_event_log')}
           ("org_id", "site_event_id", "time", "device_sn", "device_name", "event_code", "event_name", "level")
         SELECT $1::uuid, v.id, v.time::timestamptz, v.device_sn, v.device_name, v.event_code, v.event_name, v.level
           FROM (VALUES ${placeholders(logs.length, 7)})
             AS v(id, time, device_sn, device_name, event_code, event_name, level)
         ON CONFLICT ("org_id", "site_event_id") DO NOTHING`,
        params,
      );
      await tx.rows(
        `DELETE FROM ${tx.t('cloud_event_log')}
          WHERE "org_id" = $1 AND "id" < (
            SELECT "id" FROM ${tx.t('cloud_event_log')} WHERE "org_id" = $1
             ORDER BY "id" DESC OFFSET ${EVENT_LOGS_KEPT - 1} LIMIT 1)`,
        [orgId],
      );
      return true;
    });
  }

  async deleteData(orgId: string): Promise<{ devices: number; eventLogs: number }> {
    return this.sql.tx(async (tx) => {
      const d = await tx.rows<{ sn: string }>(
        `DELETE FROM ${tx.t('cloud_device')} WHERE "org_id" = $1 RETURNING "sn"`,
        [orgId],
      );
      const l = await tx.rows<{ id: string }>(
        `DELETE FROM ${tx.t('cloud_event_log')} WHERE "org_id" = $1 RETURNING "id"::text AS "id"`,
        [orgId],
      );
      return { devices: d.length, eventLogs: l.length };
    });
  }

  async devices(orgId: string, limit: number): Promise<CloudDevice[]> {
    const rows = await this.sql.rows<DeviceRow>(
      `SELECT "sn", "name", "online", "firmware", "area", "last_seen_at", "updated_at"
         FROM ${this.sql.t('cloud_device')} WHERE "org_id" = $1
        ORDER BY coalesce("name", "sn"), "sn" LIMIT ${Math.max(1, Math.floor(limit))}`,
      [orgId],
    );
    return rows.map((r) => ({
      sn: r.sn,
      name: r.name,
      online: r.online,
      firmware: r.firmware,
      area: r.area,
      lastSeenAt: r.last_seen_at,
      updatedAt: r.updated_at,
    }));
  }

  async latestEventLogs(orgId: string, limit: number): Promise<CloudEventLog[]> {
    const rows = await this.sql.rows<EventLogRow>(
      `SELECT "site_event_id", "time", "device_sn", "device_name", "event_code", "event_name", "level"
         FROM ${this.sql.t('cloud_event_log')} WHERE "org_id" = $1
        ORDER BY "time" DESC, "id" DESC LIMIT ${Math.max(1, Math.floor(limit))}`,
      [orgId],
    );
    return rows.map((r) => ({
      id: r.site_event_id,
      time: r.time,
      deviceSn: r.device_sn,
      deviceName: r.device_name,
      eventCode: r.event_code,
      eventName: r.event_name,
      level: r.level,
    }));
  }

  private async dataEnabled(tx: Sql, orgId: string): Promise<boolean> {
    const row = await tx.one<{ on: boolean }>(
      `SELECT "push_data_to_cloud" AS "on" FROM ${tx.t('org_cloud_setting')} WHERE "org_id" = $1 FOR SHARE`,
      [orgId],
    );
    return row?.on === true;
  }
}
