import type { MigrationInterface, QueryRunner } from 'typeorm';
import { qualifiedTable } from './qualified-table';

/**
 * What survives a crash between storing an event and publishing it:
 * - `event_dispatch`: one row per stored event whose follow-up (live stream, notifications,
 *   cloud outbox) has not finished, written in the same statement as the event; a restart
 *   finishes what it lists.
 * - `stream_event.key`: what a message is about (`alarm:<id>`, `notification:<id>`), unique, so
 *   a message published again after a restart is stored and delivered once; notifications are
 *   looked up by their event (`ix_notification_event`), so they are not stored twice either.
 * - `cloud_outbox_rejected`: uplink items the cloud refused as malformed, kept with its reasons
 *   for an operator instead of being retried forever.
 */
export class EventDispatch1767630000000 implements MigrationInterface {
  readonly name = 'EventDispatch1767630000000';

  async up(q: QueryRunner): Promise<void> {
    const t = (name: string): string => qualifiedTable(q, name);
    await q.query(
      `CREATE TABLE ${t('event_dispatch')} (
        "event_id" uuid NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pk_event_dispatch" PRIMARY KEY ("event_id"),
        CONSTRAINT "fk_event_dispatch_event" FOREIGN KEY ("event_id") REFERENCES ${t('access_event')} ("id") ON DELETE CASCADE
      )`,
    );
    await q.query(`ALTER TABLE ${t('stream_event')} ADD COLUMN "key" text NULL`);
    await q.query(`CREATE UNIQUE INDEX "uq_stream_event_key" ON ${t('stream_event')} ("key") WHERE "key" IS NOT NULL`);
    // Notifications of an event followed up again are looked up by it, so they are not stored twice.
    await q.query(`CREATE INDEX "ix_notification_event" ON ${t('notification')} ("event_id")`);
    await q.query(
      `CREATE TABLE ${t('cloud_outbox_rejected')} (
        "id" bigserial NOT NULL,
        "outbox_id" bigint NOT NULL,
        "kind" text NOT NULL,
        "payload" jsonb NOT NULL,
        "problems" jsonb NOT NULL,
        "queued_at" timestamptz NOT NULL,
        "rejected_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pk_cloud_outbox_rejected" PRIMARY KEY ("id")
      )`,
    );
    await q.query(`CREATE INDEX "ix_cloud_outbox_rejected_at" ON ${t('cloud_outbox_rejected')} ("rejected_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    const t = (name: string): string => qualifiedTable(q, name);
    await q.query(`DROP TABLE ${t('cloud_outbox_rejected')}`);
    await q.query(`DROP INDEX ${t('ix_notification_event')}`);
    await q.query(`DROP INDEX ${t('uq_stream_event_key')}`);
    await q.query(`ALTER TABLE ${t('stream_event')} DROP COLUMN "key"`);
    await q.query(`DROP TABLE ${t('event_dispatch')}`);
  }
}
