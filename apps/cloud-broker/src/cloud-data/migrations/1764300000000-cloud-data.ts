import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '../../database/schema';

/**
 * What sites send up through the uplink (docs/mobile-path.md §6, §7): the organisation's cloud
 * settings, devices and event logs (no person data), Web Push subscriptions, the intake record
 * that makes a redelivered notification harmless, and the VAPID key made on first boot.
 */
export class CloudData1764300000000 implements MigrationInterface {
  name = 'CloudData1764300000000';

  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    const org = (table: string): string =>
      `CONSTRAINT "FK_${table}_org" FOREIGN KEY ("org_id") REFERENCES ${s}."organization" ("id") ON DELETE CASCADE`;
    await q.query(`
      CREATE TABLE ${s}."org_cloud_setting" (
        "org_id" uuid NOT NULL,
        "push_to_app" boolean NOT NULL DEFAULT false,
        "push_data_to_cloud" boolean NOT NULL DEFAULT false,
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "PK_org_cloud_setting" PRIMARY KEY ("org_id"),
        ${org('org_cloud_setting')}
      )`);
    await q.query(`
      CREATE TABLE ${s}."cloud_device" (
        "org_id" uuid NOT NULL,
        "sn" text NOT NULL,
        "name" text,
        "online" boolean NOT NULL DEFAULT false,
        "firmware" text,
        "area" text,
        "last_seen_at" timestamptz,
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "PK_cloud_device" PRIMARY KEY ("org_id", "sn"),
        ${org('cloud_device')}
      )`);
    await q.query(`
      CREATE TABLE ${s}."cloud_event_log" (
        "id" bigserial NOT NULL,
        "org_id" uuid NOT NULL,
        "site_event_id" text NOT NULL,
        "time" timestamptz NOT NULL,
        "device_sn" text,
        "device_name" text,
        "event_code" text,
        "event_name" text,
        "level" text,
        "received_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "PK_cloud_event_log" PRIMARY KEY ("id"),
        CONSTRAINT "UQ_cloud_event_log_site_event" UNIQUE ("org_id", "site_event_id"),
        ${org('cloud_event_log')}
      )`);
    await q.query(
      `CREATE INDEX "IDX_cloud_event_log_org_time" ON ${s}."cloud_event_log" ("org_id", "time" DESC, "id" DESC)`,
    );
    await q.query(`
      CREATE TABLE ${s}."push_subscription" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "org_id" uuid NOT NULL,
        "subject" text NOT NULL,
        "endpoint" text NOT NULL,
        "p256dh" text NOT NULL,
        "auth" text NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "PK_push_subscription" PRIMARY KEY ("id"),
        CONSTRAINT "UQ_push_subscription_endpoint" UNIQUE ("org_id", "endpoint"),
        ${org('push_subscription')}
      )`);
    await q.query(`CREATE INDEX "IDX_push_subscription_subject" ON ${s}."push_subscription" ("org_id", "subject")`);
    await q.query(`
      CREATE TABLE ${s}."push_delivery_seen" (
        "org_id" uuid NOT NULL,
        "site_event_id" text NOT NULL,
        "seen_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "PK_push_delivery_seen" PRIMARY KEY ("org_id", "site_event_id"),
        ${org('push_delivery_seen')}
      )`);
    await q.query(`CREATE INDEX "IDX_push_delivery_seen_at" ON ${s}."push_delivery_seen" ("seen_at")`);
    // One row: the key pair every replica signs VAPID JWTs with when none is configured.
    await q.query(`
      CREATE TABLE ${s}."push_vapid_key" (
        "id" smallint NOT NULL DEFAULT 1,
        "public_key" text NOT NULL,
        "private_key" text NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "PK_push_vapid_key" PRIMARY KEY ("id"),
        CONSTRAINT "CHK_push_vapid_key_single" CHECK ("id" = 1)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`DROP TABLE ${s}."push_vapid_key"`);
    await q.query(`DROP TABLE ${s}."push_delivery_seen"`);
    await q.query(`DROP TABLE ${s}."push_subscription"`);
    await q.query(`DROP TABLE ${s}."cloud_event_log"`);
    await q.query(`DROP TABLE ${s}."cloud_device"`);
    await q.query(`DROP TABLE ${s}."org_cloud_setting"`);
  }
}
