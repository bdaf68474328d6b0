import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '../schema';

/** Accounts, sessions, companies (members, invitations), audit log, OAuth2 and device flow. */
export class AccountsOauth1764000000000 implements MigrationInterface {
  name = 'AccountsOauth1764000000000';

  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`
      CREATE TABLE ${s}."app_user" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "email" text NOT NULL,
        "first_name" text NOT NULL,
        "last_name" text NOT NULL,
        "contact_number" text NOT NULL,
        "password_hash" text NOT NULL,
        "email_verified_at" timestamptz,
        "password_changed_at" timestamptz NOT NULL DEFAULT now(),
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "PK_app_user" PRIMARY KEY ("id"),
        CONSTRAINT "UQ_app_user_email" UNIQUE ("email")
      )`);
    await q.query(`
      CREATE TABLE ${s}."user_session" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "user_id" uuid NOT NULL,
        "token_hash" text NOT NULL,
        "ip" text,
        "user_agent" text,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "last_seen_at" timestamptz NOT NULL DEFAULT now(),
        "expires_at" timestamptz NOT NULL,
        "ended_at" timestamptz,
        CONSTRAINT "PK_user_session" PRIMARY KEY ("id"),
        CONSTRAINT "UQ_user_session_token_hash" UNIQUE ("token_hash"),
        CONSTRAINT "FK_user_session_user" FOREIGN KEY ("user_id") REFERENCES ${s}."app_user" ("id") ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX "IDX_user_session_user_id" ON ${s}."user_session" ("user_id")`);
    await q.query(`
      CREATE TABLE ${s}."user_token" (
        "token_hash" text NOT NULL,
        "purpose" text NOT NULL,
        "user_id" uuid NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "expires_at" timestamptz NOT NULL,
        "used_at" timestamptz,
        CONSTRAINT "PK_user_token" PRIMARY KEY ("token_hash"),
        CONSTRAINT "CK_user_token_purpose" CHECK ("purpose" IN ('verify_email', 'reset_password')),
        CONSTRAINT "FK_user_token_user" FOREIGN KEY ("user_id") REFERENCES ${s}."app_user" ("id") ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX "IDX_user_token_user_id" ON ${s}."user_token" ("user_id")`);
    await q.query(`ALTER TABLE ${s}."organization" ADD COLUMN "created_by" uuid`);
    await q.query(`
      CREATE TABLE ${s}."organization_member" (
        "organization_id" uuid NOT NULL,
        "user_id" uuid NOT NULL,
        "role" text NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "PK_organization_member" PRIMARY KEY ("organization_id", "user_id"),
        CONSTRAINT "CK_organization_member_role" CHECK ("role" IN ('owner', 'admin', 'installer')),
        CONSTRAINT "FK_organization_member_org" FOREIGN KEY ("organization_id")
          REFERENCES ${s}."organization" ("id") ON DELETE CASCADE,
        CONSTRAINT "FK_organization_member_user" FOREIGN KEY ("user_id") REFERENCES ${s}."app_user" ("id") ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX "IDX_organization_member_user_id" ON ${s}."organization_member" ("user_id")`);
    await q.query(`
      CREATE TABLE ${s}."organization_invitation" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "organization_id" uuid NOT NULL,
        "email" text NOT NULL,
        "role" text NOT NULL,
        "token_hash" text NOT NULL,
        "invited_by" uuid,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "expires_at" timestamptz NOT NULL,
        "accepted_at" timestamptz,
        "accepted_by" uuid,
        CONSTRAINT "PK_organization_invitation" PRIMARY KEY ("id"),
        CONSTRAINT "UQ_organization_invitation_token_hash" UNIQUE ("token_hash"),
        CONSTRAINT "CK_organization_invitation_role" CHECK ("role" IN ('owner', 'admin', 'installer')),
        CONSTRAINT "FK_organization_invitation_org" FOREIGN KEY ("organization_id")
          REFERENCES ${s}."organization" ("id") ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE INDEX "IDX_organization_invitation_org" ON ${s}."organization_invitation" ("organization_id")`,
    );
    await q.query(`
      CREATE TABLE ${s}."audit_log" (
        "id" bigint GENERATED ALWAYS AS IDENTITY,
        "at" timestamptz NOT NULL DEFAULT now(),
        "organization_id" uuid,
        "actor_user_id" uuid,
        "action" text NOT NULL,
        "outcome" text NOT NULL,
        "ip" text,
        "user_agent" text,
        "target" text,
        "details" jsonb,
        CONSTRAINT "PK_audit_log" PRIMARY KEY ("id"),
        CONSTRAINT "CK_audit_log_outcome" CHECK ("outcome" IN ('success', 'failure'))
      )`);
    await q.query(`CREATE INDEX "IDX_audit_log_org_id" ON ${s}."audit_log" ("organization_id", "id" DESC)`);
    await q.query(`CREATE INDEX "IDX_audit_log_actor_id" ON ${s}."audit_log" ("actor_user_id", "id" DESC)`);
    await q.query(`
      CREATE TABLE ${s}."signing_key" (
        "kid" text NOT NULL,
        "private_pem" text NOT NULL,
        "public_jwk" jsonb NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "retired_at" timestamptz,
        CONSTRAINT "PK_signing_key" PRIMARY KEY ("kid")
      )`);
    await q.query(`
      CREATE TABLE ${s}."oauth_code" (
        "code_hash" text NOT NULL,
        "client_id" text NOT NULL,
        "user_id" uuid NOT NULL,
        "redirect_uri" text NOT NULL,
        "scope" text NOT NULL,
        "code_challenge" text,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "expires_at" timestamptz NOT NULL,
        "used_at" timestamptz,
        "family_id" uuid,
        CONSTRAINT "PK_oauth_code" PRIMARY KEY ("code_hash"),
        CONSTRAINT "FK_oauth_code_user" FOREIGN KEY ("user_id") REFERENCES ${s}."app_user" ("id") ON DELETE CASCADE
      )`);
    await q.query(`
      CREATE TABLE ${s}."oauth_token" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "token_hash" text NOT NULL,
        "kind" text NOT NULL,
        "client_id" text NOT NULL,
        "user_id" uuid,
        "scope" text NOT NULL,
        "family_id" uuid NOT NULL,
        "connector_id" uuid,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "expires_at" timestamptz NOT NULL,
        "family_expires_at" timestamptz NOT NULL,
        "used_at" timestamptz,
        "revoked_at" timestamptz,
        CONSTRAINT "PK_oauth_token" PRIMARY KEY ("id"),
        CONSTRAINT "UQ_oauth_token_token_hash" UNIQUE ("token_hash"),
        CONSTRAINT "CK_oauth_token_kind" CHECK ("kind" IN ('access', 'refresh')),
        CONSTRAINT "FK_oauth_token_user" FOREIGN KEY ("user_id") REFERENCES ${s}."app_user" ("id") ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX "IDX_oauth_token_family_id" ON ${s}."oauth_token" ("family_id")`);
    await q.query(`CREATE INDEX "IDX_oauth_token_user_id" ON ${s}."oauth_token" ("user_id")`);
    await q.query(`
      CREATE TABLE ${s}."device_authorization" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "device_code_hash" text NOT NULL,
        "user_code" text NOT NULL,
        "client_id" text NOT NULL,
        "scope" text NOT NULL,
        "public_key" text NOT NULL,
        "key_thumbprint" text NOT NULL,
        "hostname" text NOT NULL,
        "area_id" text NOT NULL,
        "requester_ip" text,
        "requester_user_agent" text,
        "interval_s" integer NOT NULL,
        "last_polled_at" timestamptz,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "expires_at" timestamptz NOT NULL,
        "status" text NOT NULL DEFAULT 'pending',
        "decided_by" uuid,
        "decided_at" timestamptz,
        "organization_id" uuid,
        "connector_id" uuid,
        CONSTRAINT "PK_device_authorization" PRIMARY KEY ("id"),
        CONSTRAINT "UQ_device_authorization_device_code_hash" UNIQUE ("device_code_hash"),
        CONSTRAINT "CK_device_authorization_status" CHECK ("status" IN ('pending', 'approved', 'denied', 'consumed'))
      )`);
    // A user code identifies one pending request; once decided it may be issued again.
    await q.query(
      `CREATE UNIQUE INDEX "UQ_device_authorization_pending_user_code" ON ${s}."device_authorization" ("user_code") WHERE "status" = 'pending'`,
    );
    await q.query(`ALTER TABLE ${s}."connector" ADD COLUMN "area_id" text`);
    await q.query(`ALTER TABLE ${s}."connector" ADD COLUMN "hostname" text`);
    await q.query(`ALTER TABLE ${s}."connector" ADD COLUMN "activated_by" uuid`);
  }

  async down(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`ALTER TABLE ${s}."connector" DROP COLUMN "activated_by"`);
    await q.query(`ALTER TABLE ${s}."connector" DROP COLUMN "hostname"`);
    await q.query(`ALTER TABLE ${s}."connector" DROP COLUMN "area_id"`);
    for (const t of [
      'device_authorization',
      'oauth_token',
      'oauth_code',
      'signing_key',
      'audit_log',
      'organization_invitation',
      'organization_member',
      'user_token',
      'user_session',
      'app_user',
    ]) {
      await q.query(`DROP TABLE ${s}."${t}"`);
    }
    await q.query(`ALTER TABLE ${s}."organization" DROP COLUMN "created_by"`);
  }
}
