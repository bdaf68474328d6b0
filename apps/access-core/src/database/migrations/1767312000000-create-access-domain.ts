import type { MigrationInterface, QueryRunner } from 'typeorm';
import { qualifiedTable } from './qualified-table';

/**
 * The access-control domain: areas, terminals and doors, people and their rights, events and
 * alarms, visitors, invitations, notifications, operators, the operation log and the per-device
 * command queue. Encrypted columns (`*_enc`) hold AES-256-GCM envelopes written by
 * crypto/field-cipher.ts, never plaintext.
 */
export class CreateAccessDomain1767312000000 implements MigrationInterface {
  readonly name = 'CreateAccessDomain1767312000000';

  async up(q: QueryRunner): Promise<void> {
    const t = (name: string): string => qualifiedTable(q, name);
    const statements = [
      `CREATE TABLE ${t('area')} (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "name" text NOT NULL,
        "parent_id" uuid NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pk_area" PRIMARY KEY ("id"),
        CONSTRAINT "fk_area_parent" FOREIGN KEY ("parent_id") REFERENCES ${t('area')} ("id") ON DELETE SET NULL
      )`,
      `CREATE INDEX "ix_area_parent" ON ${t('area')} ("parent_id")`,

      `CREATE TABLE ${t('device')} (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "sn" text NOT NULL,
        "alias" text NOT NULL,
        "model" text NULL,
        "firmware" text NULL,
        "protocol" text NOT NULL DEFAULT 'acc',
        "machine_type" integer NULL,
        "door_count" integer NOT NULL DEFAULT 1,
        "reader_count" integer NOT NULL DEFAULT 0,
        "registry_code" text NULL,
        "session_id" text NULL,
        "push_version" text NULL,
        "capabilities" text NULL,
        "enrollment" text NOT NULL DEFAULT 'auto',
        "online" boolean NOT NULL DEFAULT false,
        "last_seen_at" timestamptz NULL,
        "area_id" uuid NULL,
        "options" jsonb NOT NULL DEFAULT '{}'::jsonb,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pk_device" PRIMARY KEY ("id"),
        CONSTRAINT "uq_device_sn" UNIQUE ("sn"),
        CONSTRAINT "ck_device_protocol" CHECK ("protocol" IN ('acc', 'att')),
        CONSTRAINT "ck_device_enrollment" CHECK ("enrollment" IN ('auto', 'provisioned')),
        CONSTRAINT "fk_device_area" FOREIGN KEY ("area_id") REFERENCES ${t('area')} ("id") ON DELETE SET NULL
      )`,
      `CREATE INDEX "ix_device_area" ON ${t('device')} ("area_id")`,
      `CREATE INDEX "ix_device_online" ON ${t('device')} ("online", "last_seen_at")`,

      `CREATE TABLE ${t('door')} (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "device_id" uuid NOT NULL,
        "door_no" integer NOT NULL,
        "name" text NOT NULL,
        "drive_time_sec" integer NOT NULL DEFAULT 5,
        "sensor_state" text NOT NULL DEFAULT 'unknown',
        "relay_open" boolean NOT NULL DEFAULT false,
        "alarm_state" integer NOT NULL DEFAULT 0,
        "locked_down" boolean NOT NULL DEFAULT false,
        "normal_open" boolean NOT NULL DEFAULT false,
        "state_updated_at" timestamptz NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pk_door" PRIMARY KEY ("id"),
        CONSTRAINT "uq_door_device_no" UNIQUE ("device_id", "door_no"),
        CONSTRAINT "ck_door_no" CHECK ("door_no" BETWEEN 1 AND 4),
        CONSTRAINT "ck_door_drive_time" CHECK ("drive_time_sec" BETWEEN 1 AND 254),
        CONSTRAINT "ck_door_sensor_state" CHECK ("sensor_state" IN ('unknown', 'none', 'closed', 'open')),
        CONSTRAINT "fk_door_device" FOREIGN KEY ("device_id") REFERENCES ${t('device')} ("id") ON DELETE CASCADE
      )`,

      `CREATE TABLE ${t('reader')} (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "door_id" uuid NOT NULL,
        "reader_no" integer NOT NULL,
        "name" text NOT NULL,
        "in_out" text NOT NULL DEFAULT 'in',
        CONSTRAINT "pk_reader" PRIMARY KEY ("id"),
        CONSTRAINT "uq_reader_door_no" UNIQUE ("door_id", "reader_no"),
        CONSTRAINT "ck_reader_in_out" CHECK ("in_out" IN ('in', 'out')),
        CONSTRAINT "fk_reader_door" FOREIGN KEY ("door_id") REFERENCES ${t('door')} ("id") ON DELETE CASCADE
      )`,

      `CREATE TABLE ${t('department')} (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "code" text NOT NULL,
        "name" text NOT NULL,
        "parent_id" uuid NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pk_department" PRIMARY KEY ("id"),
        CONSTRAINT "uq_department_code" UNIQUE ("code"),
        CONSTRAINT "fk_department_parent" FOREIGN KEY ("parent_id") REFERENCES ${t('department')} ("id") ON DELETE SET NULL
      )`,

      `CREATE TABLE ${t('person')} (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "pin" text NOT NULL,
        "first_name" text NOT NULL,
        "last_name" text NOT NULL DEFAULT '',
        "department_id" uuid NULL,
        "card_no" text NULL,
        "email" text NULL,
        "password_hash" text NULL,
        "self_service_password_hash" text NULL,
        "app_login_enabled" boolean NOT NULL DEFAULT false,
        "notifications_enabled" boolean NOT NULL DEFAULT true,
        "valid_from" timestamptz NULL,
        "valid_to" timestamptz NULL,
        "disabled" boolean NOT NULL DEFAULT false,
        "id_number_enc" text NULL,
        "phone_enc" text NULL,
        "photo_enc" bytea NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pk_person" PRIMARY KEY ("id"),
        CONSTRAINT "uq_person_pin" UNIQUE ("pin"),
        CONSTRAINT "fk_person_department" FOREIGN KEY ("department_id") REFERENCES ${t('department')} ("id") ON DELETE SET NULL
      )`,
      `CREATE INDEX "ix_person_card_no" ON ${t('person')} ("card_no")`,
      `CREATE INDEX "ix_person_department" ON ${t('person')} ("department_id")`,
      `CREATE INDEX "ix_person_name" ON ${t('person')} ("last_name", "first_name")`,

      `CREATE TABLE ${t('guardian')} (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "guardian_person_id" uuid NOT NULL,
        "person_id" uuid NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pk_guardian" PRIMARY KEY ("id"),
        CONSTRAINT "uq_guardian_pair" UNIQUE ("guardian_person_id", "person_id"),
        CONSTRAINT "ck_guardian_not_self" CHECK ("guardian_person_id" <> "person_id"),
        CONSTRAINT "fk_guardian_guardian" FOREIGN KEY ("guardian_person_id") REFERENCES ${t('person')} ("id") ON DELETE CASCADE,
        CONSTRAINT "fk_guardian_person" FOREIGN KEY ("person_id") REFERENCES ${t('person')} ("id") ON DELETE CASCADE
      )`,
      `CREATE INDEX "ix_guardian_person" ON ${t('guardian')} ("person_id")`,

      `CREATE TABLE ${t('time_zone')} (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "device_tz_id" integer NOT NULL,
        "name" text NOT NULL,
        "slots" jsonb NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pk_time_zone" PRIMARY KEY ("id"),
        CONSTRAINT "uq_time_zone_device_tz_id" UNIQUE ("device_tz_id"),
        CONSTRAINT "ck_time_zone_device_tz_id" CHECK ("device_tz_id" >= 1)
      )`,

      `CREATE TABLE ${t('access_level')} (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "name" text NOT NULL,
        "time_zone_id" uuid NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pk_access_level" PRIMARY KEY ("id"),
        CONSTRAINT "uq_access_level_name" UNIQUE ("name"),
        CONSTRAINT "fk_access_level_time_zone" FOREIGN KEY ("time_zone_id") REFERENCES ${t('time_zone')} ("id") ON DELETE SET NULL
      )`,
      `CREATE TABLE ${t('access_level_door')} (
        "access_level_id" uuid NOT NULL,
        "door_id" uuid NOT NULL,
        CONSTRAINT "pk_access_level_door" PRIMARY KEY ("access_level_id", "door_id"),
        CONSTRAINT "fk_access_level_door_level" FOREIGN KEY ("access_level_id") REFERENCES ${t('access_level')} ("id") ON DELETE CASCADE,
        CONSTRAINT "fk_access_level_door_door" FOREIGN KEY ("door_id") REFERENCES ${t('door')} ("id") ON DELETE CASCADE
      )`,
      `CREATE INDEX "ix_access_level_door_door" ON ${t('access_level_door')} ("door_id")`,
      `CREATE TABLE ${t('level_person')} (
        "access_level_id" uuid NOT NULL,
        "person_id" uuid NOT NULL,
        CONSTRAINT "pk_level_person" PRIMARY KEY ("access_level_id", "person_id"),
        CONSTRAINT "fk_level_person_level" FOREIGN KEY ("access_level_id") REFERENCES ${t('access_level')} ("id") ON DELETE CASCADE,
        CONSTRAINT "fk_level_person_person" FOREIGN KEY ("person_id") REFERENCES ${t('person')} ("id") ON DELETE CASCADE
      )`,
      `CREATE INDEX "ix_level_person_person" ON ${t('level_person')} ("person_id")`,

      `CREATE TABLE ${t('lockdown_group')} (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "name" text NOT NULL,
        "mode" text NOT NULL DEFAULT 'lockdown',
        "active" boolean NOT NULL DEFAULT false,
        "activated_by" text NULL,
        "activated_at" timestamptz NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pk_lockdown_group" PRIMARY KEY ("id"),
        CONSTRAINT "uq_lockdown_group_name" UNIQUE ("name"),
        CONSTRAINT "ck_lockdown_group_mode" CHECK ("mode" IN ('lock', 'lockout', 'lockdown'))
      )`,
      `CREATE TABLE ${t('lockdown_group_door')} (
        "lockdown_group_id" uuid NOT NULL,
        "door_id" uuid NOT NULL,
        CONSTRAINT "pk_lockdown_group_door" PRIMARY KEY ("lockdown_group_id", "door_id"),
        CONSTRAINT "fk_lockdown_group_door_group" FOREIGN KEY ("lockdown_group_id") REFERENCES ${t('lockdown_group')} ("id") ON DELETE CASCADE,
        CONSTRAINT "fk_lockdown_group_door_door" FOREIGN KEY ("door_id") REFERENCES ${t('door')} ("id") ON DELETE CASCADE
      )`,
      `CREATE INDEX "ix_lockdown_group_door_door" ON ${t('lockdown_group_door')} ("door_id")`,

      `CREATE TABLE ${t('access_event')} (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "device_sn" text NOT NULL,
        "device_id" uuid NULL,
        "device_index" bigint NULL,
        "source" text NOT NULL,
        "time" timestamptz NOT NULL,
        "code" integer NOT NULL,
        "name" text NOT NULL,
        "level" text NOT NULL,
        "door_id" uuid NULL,
        "door_no" integer NULL,
        "pin" text NULL,
        "person_id" uuid NULL,
        "card_no" text NULL,
        "verify_type" text NULL,
        "in_out" integer NULL,
        "picture" bytea NULL,
        "raw" text NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pk_access_event" PRIMARY KEY ("id"),
        CONSTRAINT "uq_access_event_device_index" UNIQUE ("device_id", "device_index"),
        CONSTRAINT "ck_access_event_level" CHECK ("level" IN ('normal', 'exception', 'alarm')),
        CONSTRAINT "ck_access_event_source" CHECK ("source" IN ('rtlog', 'attlog', 'server')),
        CONSTRAINT "fk_access_event_device" FOREIGN KEY ("device_id") REFERENCES ${t('device')} ("id") ON DELETE SET NULL,
        CONSTRAINT "fk_access_event_door" FOREIGN KEY ("door_id") REFERENCES ${t('door')} ("id") ON DELETE SET NULL,
        CONSTRAINT "fk_access_event_person" FOREIGN KEY ("person_id") REFERENCES ${t('person')} ("id") ON DELETE SET NULL
      )`,
      `CREATE INDEX "ix_access_event_time" ON ${t('access_event')} ("time" DESC)`,
      `CREATE INDEX "ix_access_event_device_time" ON ${t('access_event')} ("device_id", "time" DESC)`,
      `CREATE INDEX "ix_access_event_person_time" ON ${t('access_event')} ("person_id", "time" DESC)`,
      `CREATE INDEX "ix_access_event_level_time" ON ${t('access_event')} ("level", "time" DESC)`,

      `CREATE TABLE ${t('alarm')} (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "event_id" uuid NOT NULL,
        "level" text NOT NULL,
        "confirmed" boolean NOT NULL DEFAULT false,
        "confirmed_by" text NULL,
        "confirmed_at" timestamptz NULL,
        "remark" text NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pk_alarm" PRIMARY KEY ("id"),
        CONSTRAINT "uq_alarm_event" UNIQUE ("event_id"),
        CONSTRAINT "ck_alarm_level" CHECK ("level" IN ('exception', 'alarm')),
        CONSTRAINT "fk_alarm_event" FOREIGN KEY ("event_id") REFERENCES ${t('access_event')} ("id") ON DELETE CASCADE
      )`,
      `CREATE INDEX "ix_alarm_created" ON ${t('alarm')} ("created_at" DESC)`,
      `CREATE INDEX "ix_alarm_confirmed_created" ON ${t('alarm')} ("confirmed", "created_at" DESC)`,

      `CREATE TABLE ${t('visitor')} (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "name" text NOT NULL,
        "contact_enc" text NULL,
        "id_number_enc" text NULL,
        "photo_enc" bytea NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pk_visitor" PRIMARY KEY ("id")
      )`,
      `CREATE INDEX "ix_visitor_name" ON ${t('visitor')} ("name")`,

      `CREATE TABLE ${t('visit')} (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "visitor_id" uuid NOT NULL,
        "host_person_id" uuid NULL,
        "reason" text NULL,
        "start_at" timestamptz NOT NULL,
        "end_at" timestamptz NULL,
        "status" text NOT NULL DEFAULT 'reserved',
        "checked_in_at" timestamptz NULL,
        "checked_out_at" timestamptz NULL,
        "plate_photo_enc" bytea NULL,
        "goods_photo_enc" bytea NULL,
        "invitation_id" uuid NULL,
        "created_by" text NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pk_visit" PRIMARY KEY ("id"),
        CONSTRAINT "ck_visit_status" CHECK ("status" IN ('reserved', 'checked_in', 'checked_out')),
        CONSTRAINT "fk_visit_visitor" FOREIGN KEY ("visitor_id") REFERENCES ${t('visitor')} ("id") ON DELETE CASCADE,
        CONSTRAINT "fk_visit_host" FOREIGN KEY ("host_person_id") REFERENCES ${t('person')} ("id") ON DELETE SET NULL
      )`,
      `CREATE INDEX "ix_visit_start" ON ${t('visit')} ("start_at" DESC)`,
      `CREATE INDEX "ix_visit_status_start" ON ${t('visit')} ("status", "start_at" DESC)`,
      `CREATE INDEX "ix_visit_visitor" ON ${t('visit')} ("visitor_id")`,
      `CREATE INDEX "ix_visit_host" ON ${t('visit')} ("host_person_id")`,

      `CREATE TABLE ${t('invitation')} (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "person_id" uuid NOT NULL,
        "first_name" text NOT NULL,
        "last_name" text NULL,
        "email" text NOT NULL,
        "mobile_enc" text NULL,
        "start_at" timestamptz NOT NULL,
        "end_at" timestamptz NOT NULL,
        "reason" text NULL,
        "visitor_count" integer NOT NULL DEFAULT 1,
        "remarks" text NULL,
        "qr_token_hash" text NOT NULL,
        "used_at" timestamptz NULL,
        "status" text NOT NULL DEFAULT 'pending',
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pk_invitation" PRIMARY KEY ("id"),
        CONSTRAINT "uq_invitation_qr_token_hash" UNIQUE ("qr_token_hash"),
        CONSTRAINT "ck_invitation_status" CHECK ("status" IN ('pending', 'used', 'expired', 'cancelled')),
        CONSTRAINT "ck_invitation_visitor_count" CHECK ("visitor_count" >= 1),
        CONSTRAINT "fk_invitation_person" FOREIGN KEY ("person_id") REFERENCES ${t('person')} ("id") ON DELETE CASCADE
      )`,
      `CREATE INDEX "ix_invitation_person_created" ON ${t('invitation')} ("person_id", "created_at" DESC)`,

      `CREATE TABLE ${t('operator')} (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "username" text NOT NULL,
        "password_hash" text NOT NULL,
        "name" text NOT NULL,
        "role" text NOT NULL DEFAULT 'admin',
        "disabled" boolean NOT NULL DEFAULT false,
        "notifications_enabled" boolean NOT NULL DEFAULT true,
        "last_login_at" timestamptz NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pk_operator" PRIMARY KEY ("id"),
        CONSTRAINT "uq_operator_username" UNIQUE ("username")
      )`,

      `CREATE TABLE ${t('notification')} (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "recipient_person_id" uuid NULL,
        "recipient_operator_id" uuid NULL,
        "kind" text NOT NULL,
        "event_id" uuid NULL,
        "title" text NOT NULL,
        "body" text NOT NULL DEFAULT '',
        "read_at" timestamptz NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pk_notification" PRIMARY KEY ("id"),
        CONSTRAINT "ck_notification_recipient" CHECK ("recipient_person_id" IS NOT NULL OR "recipient_operator_id" IS NOT NULL),
        CONSTRAINT "fk_notification_person" FOREIGN KEY ("recipient_person_id") REFERENCES ${t('person')} ("id") ON DELETE CASCADE,
        CONSTRAINT "fk_notification_operator" FOREIGN KEY ("recipient_operator_id") REFERENCES ${t('operator')} ("id") ON DELETE CASCADE,
        CONSTRAINT "fk_notification_event" FOREIGN KEY ("event_id") REFERENCES ${t('access_event')} ("id") ON DELETE SET NULL
      )`,
      `CREATE INDEX "ix_notification_person_created" ON ${t('notification')} ("recipient_person_id", "created_at" DESC)`,
      `CREATE INDEX "ix_notification_operator_created" ON ${t('notification')} ("recipient_operator_id", "created_at" DESC)`,

      `CREATE TABLE ${t('operation_log')} (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "actor" text NOT NULL,
        "ip" text NULL,
        "user_agent" text NULL,
        "action" text NOT NULL,
        "target" text NULL,
        "detail" jsonb NULL,
        "at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pk_operation_log" PRIMARY KEY ("id")
      )`,
      `CREATE INDEX "ix_operation_log_at" ON ${t('operation_log')} ("at" DESC)`,

      `CREATE TABLE ${t('device_command')} (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "cmd_id" bigint GENERATED BY DEFAULT AS IDENTITY,
        "device_id" uuid NOT NULL,
        "text" text NOT NULL,
        "kind" text NOT NULL,
        "status" text NOT NULL DEFAULT 'queued',
        "return_code" integer NULL,
        "idempotency_key" text NULL,
        "meta" jsonb NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "sent_at" timestamptz NULL,
        "acked_at" timestamptz NULL,
        CONSTRAINT "pk_device_command" PRIMARY KEY ("id"),
        CONSTRAINT "uq_device_command_cmd_id" UNIQUE ("cmd_id"),
        CONSTRAINT "uq_device_command_idempotency_key" UNIQUE ("idempotency_key"),
        CONSTRAINT "ck_device_command_status" CHECK ("status" IN ('queued', 'sent', 'acked', 'failed')),
        CONSTRAINT "fk_device_command_device" FOREIGN KEY ("device_id") REFERENCES ${t('device')} ("id") ON DELETE CASCADE
      )`,
      `CREATE INDEX "ix_device_command_device_status" ON ${t('device_command')} ("device_id", "status", "cmd_id")`,
    ];
    for (const sql of statements) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    const tables = [
      'device_command',
      'operation_log',
      'notification',
      'operator',
      'invitation',
      'visit',
      'visitor',
      'alarm',
      'access_event',
      'lockdown_group_door',
      'lockdown_group',
      'level_person',
      'access_level_door',
      'access_level',
      'time_zone',
      'guardian',
      'person',
      'department',
      'reader',
      'door',
      'device',
      'area',
    ];
    for (const table of tables) await q.query(`DROP TABLE ${qualifiedTable(q, table)}`);
  }
}
