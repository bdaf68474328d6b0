import type { MigrationInterface, QueryRunner } from 'typeorm';
import { qualifiedTable } from './qualified-table';

/**
 * The mobile path through the cloud (docs/mobile-path.md, whose § numbers these are):
 * - `stream_event`: every live message, kept 7 days, so a stream can resume after a gap (§4);
 * - `stream_cursor`: the highest id a session family has acknowledged (§4);
 * - `idempotency_record`: the first answer of a remote command sent with an Idempotency-Key (§5);
 * - `cloud_outbox`: items waiting to be posted to the cloud uplink, in id order (§6).
 */
export class MobilePath1767500000000 implements MigrationInterface {
  readonly name = 'MobilePath1767500000000';

  async up(q: QueryRunner): Promise<void> {
    const t = (name: string): string => qualifiedTable(q, name);
    const statements = [
      `CREATE TABLE ${t('stream_event')} (
        "id" bigserial NOT NULL,
        "type" text NOT NULL,
        "audience" jsonb NOT NULL,
        "data" jsonb NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pk_stream_event" PRIMARY KEY ("id")
      )`,
      `CREATE INDEX "ix_stream_event_created" ON ${t('stream_event')} ("created_at")`,

      `CREATE TABLE ${t('stream_cursor')} (
        "session_id" uuid NOT NULL,
        "last_id" bigint NOT NULL,
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pk_stream_cursor" PRIMARY KEY ("session_id")
      )`,
      `CREATE INDEX "ix_stream_cursor_updated" ON ${t('stream_cursor')} ("updated_at")`,

      `CREATE TABLE ${t('idempotency_record')} (
        "key" text NOT NULL,
        "result" jsonb NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pk_idempotency_record" PRIMARY KEY ("key")
      )`,
      `CREATE INDEX "ix_idempotency_record_created" ON ${t('idempotency_record')} ("created_at")`,

      `CREATE TABLE ${t('cloud_outbox')} (
        "id" bigserial NOT NULL,
        "kind" text NOT NULL,
        "payload" jsonb NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "attempts" integer NOT NULL DEFAULT 0,
        "next_attempt_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pk_cloud_outbox" PRIMARY KEY ("id"),
        CONSTRAINT "ck_cloud_outbox_kind" CHECK ("kind" IN ('settings', 'data-delete', 'push', 'device', 'event-log'))
      )`,
      `CREATE INDEX "ix_cloud_outbox_kind" ON ${t('cloud_outbox')} ("kind", "id")`,
    ];
    for (const sql of statements) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['cloud_outbox', 'idempotency_record', 'stream_cursor', 'stream_event']) {
      await q.query(`DROP TABLE ${qualifiedTable(q, table)}`);
    }
  }
}
