import type { MigrationInterface, QueryRunner } from 'typeorm';
import { qualifiedTable } from './qualified-table';

/** eventFingerprint() (events/event-fingerprint.ts) in SQL, over the columns of access_event. */
export const FINGERPRINT_SQL = `md5(
  floor(extract(epoch FROM "time") * 1000)::bigint::text || '|' || "code"::text || '|' ||
  coalesce("door_no"::text, '-') || '|' || coalesce("in_out"::text, '-') || '|' || coalesce("verify_type", '-')
)::uuid`;

/**
 * Terminal events are de-duplicated by (device, record index, fingerprint of the record)
 * instead of (device, record index): a terminal that restarts its index (restart, factory reset,
 * cleared log) no longer has its new events taken for re-sends of old ones. Existing rows get
 * their fingerprint from their stored columns.
 */
export class EventFingerprint1767600000000 implements MigrationInterface {
  readonly name = 'EventFingerprint1767600000000';

  async up(q: QueryRunner): Promise<void> {
    const t = qualifiedTable(q, 'access_event');
    await q.query(`ALTER TABLE ${t} ADD COLUMN "fingerprint" uuid NULL`);
    await q.query(`UPDATE ${t} SET "fingerprint" = ${FINGERPRINT_SQL} WHERE "device_index" IS NOT NULL`);
    await q.query(`ALTER TABLE ${t} DROP CONSTRAINT "uq_access_event_device_index"`);
    await q.query(
      `ALTER TABLE ${t} ADD CONSTRAINT "uq_access_event_device_record" UNIQUE ("device_id", "device_index", "fingerprint")`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    const t = qualifiedTable(q, 'access_event');
    await q.query(`ALTER TABLE ${t} DROP CONSTRAINT "uq_access_event_device_record"`);
    // Events stored under a reused index keep their rows but lose the index (the older key
    // cannot hold two events with one index), so nothing is deleted going down.
    await q.query(
      `UPDATE ${t} e SET "device_index" = NULL
         WHERE e."device_index" IS NOT NULL AND EXISTS (
           SELECT 1 FROM ${t} o
            WHERE o."device_id" = e."device_id" AND o."device_index" = e."device_index"
              AND (o."created_at", o."id") < (e."created_at", e."id"))`,
    );
    await q.query(
      `ALTER TABLE ${t} ADD CONSTRAINT "uq_access_event_device_index" UNIQUE ("device_id", "device_index")`,
    );
    await q.query(`ALTER TABLE ${t} DROP COLUMN "fingerprint"`);
  }
}
