import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Sql } from '../accounts/sql';
import type { PushTarget } from './push-provider';

export interface PushSubscriptionRecord extends PushTarget {
  readonly orgId: string;
  /** `role:sub` of the site user, e.g. `admin:1`. */
  readonly subject: string;
  readonly createdAt: Date;
}

/** Subscriptions kept per site user; the oldest go when a user adds more (reinstalled apps). */
export const SUBSCRIPTIONS_PER_SUBJECT = 20;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Row {
  id: string;
  org_id: string;
  subject: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  created_at: Date;
}

const COLUMNS = `"id", "org_id", "subject", "endpoint", "p256dh", "auth", "created_at"`;

function toRecord(r: Row): PushSubscriptionRecord {
  return {
    id: r.id,
    orgId: r.org_id,
    subject: r.subject,
    endpoint: r.endpoint,
    keys: { p256dh: r.p256dh, auth: r.auth },
    createdAt: new Date(r.created_at),
  };
}

/** Web Push subscriptions and the intake record of notifications (push_delivery_seen). */
@Injectable()
export class PushSubscriptionRepository {
  private readonly sql: Sql;

  constructor(dataSource: DataSource) {
    this.sql = new Sql(dataSource);
  }

  /** Creates, or takes over, the organisation's subscription for `endpoint` (one browser = one endpoint). */
  async upsert(
    orgId: string,
    subject: string,
    endpoint: string,
    keys: { p256dh: string; auth: string },
  ): Promise<PushSubscriptionRecord> {
    return this.sql.tx(async (tx) => {
      const row = await tx.one<Row>(
        `INSERT INTO ${tx.t('push_subscription')} ("org_id", "subject", "endpoint", "p256dh", "auth")
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT ("org_id", "endpoint") DO UPDATE
           SET "subject" = EXCLUDED."subject", "p256dh" = EXCLUDED."p256dh", "auth" = EXCLUDED."auth"
         RETURNING ${COLUMNS}`,
        [orgId, subject, endpoint, keys.p256dh, keys.auth],
      );
      if (!row) throw new Error('push_subscription upsert returned nothing');
      await tx.rows(
        `DELETE FROM ${tx.t('push_subscription')}
          WHERE "org_id" = $1 AND "subject" = $2 AND "id" NOT IN (
            SELECT "id" FROM ${tx.t('push_subscription')} WHERE "org_id" = $1 AND "subject" = $2
             ORDER BY "created_at" DESC, "id" LIMIT ${SUBSCRIPTIONS_PER_SUBJECT})`,
        [orgId, subject],
      );
      return toRecord(row);
    });
  }

  async listFor(orgId: string, subject: string): Promise<PushSubscriptionRecord[]> {
    const rows = await this.sql.rows<Row>(
      `SELECT ${COLUMNS} FROM ${this.sql.t('push_subscription')}
        WHERE "org_id" = $1 AND "subject" = $2 ORDER BY "created_at", "id"`,
      [orgId, subject],
    );
    return rows.map(toRecord);
  }

  /** Deletes the caller's own subscription; false when there is none with that id. */
  async deleteFor(orgId: string, subject: string, id: string): Promise<boolean> {
    if (!UUID.test(id)) return false;
    const rows = await this.sql.rows<{ id: string }>(
      `DELETE FROM ${this.sql.t('push_subscription')} WHERE "id" = $1 AND "org_id" = $2 AND "subject" = $3 RETURNING "id"`,
      [id, orgId, subject],
    );
    return rows.length > 0;
  }

  async find(orgId: string, id: string): Promise<PushSubscriptionRecord | undefined> {
    if (!UUID.test(id)) return undefined;
    const row = await this.sql.one<Row>(
      `SELECT ${COLUMNS} FROM ${this.sql.t('push_subscription')} WHERE "id" = $1 AND "org_id" = $2`,
      [id, orgId],
    );
    return row ? toRecord(row) : undefined;
  }

  async delete(orgId: string, id: string): Promise<void> {
    await this.sql.rows(`DELETE FROM ${this.sql.t('push_subscription')} WHERE "id" = $1 AND "org_id" = $2`, [
      id,
      orgId,
    ]);
  }

  /** Subscriptions of the organisation held by any of `subjects`. */
  async matching(orgId: string, subjects: readonly string[]): Promise<{ id: string; subject: string }[]> {
    if (subjects.length === 0) return [];
    return this.sql.rows<{ id: string; subject: string }>(
      `SELECT "id", "subject" FROM ${this.sql.t('push_subscription')} WHERE "org_id" = $1 AND "subject" = ANY($2::text[])`,
      [orgId, [...subjects]],
    );
  }

  /** Which of the site's notification ids were taken in before. */
  async seen(orgId: string, eventIds: readonly string[]): Promise<Set<string>> {
    if (eventIds.length === 0) return new Set();
    const rows = await this.sql.rows<{ site_event_id: string }>(
      `SELECT "site_event_id" FROM ${this.sql.t('push_delivery_seen')}
        WHERE "org_id" = $1 AND "site_event_id" = ANY($2::text[])`,
      [orgId, [...eventIds]],
    );
    return new Set(rows.map((r) => r.site_event_id));
  }

  async markSeen(orgId: string, eventIds: readonly string[]): Promise<void> {
    if (eventIds.length === 0) return;
    await this.sql.rows(
      `INSERT INTO ${this.sql.t('push_delivery_seen')} ("org_id", "site_event_id")
       SELECT $1::uuid, unnest($2::text[])
       ON CONFLICT ("org_id", "site_event_id") DO NOTHING`,
      [orgId, [...eventIds]],
    );
  }

  /** Forgets intake records older than `before` (a site redelivers within minutes, not weeks). */
  async pruneSeen(before: Date): Promise<number> {
    const rows = await this.sql.rows<{ org_id: string }>(
      `DELETE FROM ${this.sql.t('push_delivery_seen')} WHERE "seen_at" < $1 RETURNING "org_id"`,
      [before],
    );
    return rows.length;
  }
}
