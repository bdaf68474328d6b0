import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '../../database/schema';

/** Organisation QR tokens (current + revoked), activation codes, connector settings shown in the portal. */
export class PortalSchema1764100000000 implements MigrationInterface {
  name = 'PortalSchema1764100000000';

  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`
      CREATE TABLE ${s}."org_qr_token" (
        "jti" uuid NOT NULL,
        "organization_id" uuid NOT NULL,
        "token" text NOT NULL,
        "issued_at" timestamptz NOT NULL,
        "expires_at" timestamptz NOT NULL,
        "revoked_at" timestamptz,
        CONSTRAINT "PK_org_qr_token" PRIMARY KEY ("jti"),
        CONSTRAINT "FK_org_qr_token_org" FOREIGN KEY ("organization_id")
          REFERENCES ${s}."organization" ("id") ON DELETE CASCADE
      )`);
    // At most one live token per organisation: rotation revokes before it issues.
    await q.query(
      `CREATE UNIQUE INDEX "UQ_org_qr_token_live" ON ${s}."org_qr_token" ("organization_id") WHERE "revoked_at" IS NULL`,
    );
    await q.query(`
      CREATE TABLE ${s}."connector_activation_code" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "organization_id" uuid NOT NULL,
        "code_hash" text NOT NULL,
        "area_id" text NOT NULL,
        "created_by" uuid NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "expires_at" timestamptz NOT NULL,
        "used_at" timestamptz,
        "connector_id" uuid,
        CONSTRAINT "PK_connector_activation_code" PRIMARY KEY ("id"),
        CONSTRAINT "UQ_connector_activation_code_hash" UNIQUE ("code_hash"),
        CONSTRAINT "FK_connector_activation_code_org" FOREIGN KEY ("organization_id")
          REFERENCES ${s}."organization" ("id") ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE INDEX "IDX_connector_activation_code_org" ON ${s}."connector_activation_code" ("organization_id")`,
    );
    await q.query(`ALTER TABLE ${s}."connector" ADD COLUMN "local_app_url" text`);
    // Set in the portal while the connector was offline; pushed at its next connect.
    await q.query(`ALTER TABLE ${s}."connector" ADD COLUMN "local_app_url_pending" boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE ${s}."connector" ADD COLUMN "agent_version" text`);
  }

  async down(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`ALTER TABLE ${s}."connector" DROP COLUMN "agent_version"`);
    await q.query(`ALTER TABLE ${s}."connector" DROP COLUMN "local_app_url_pending"`);
    await q.query(`ALTER TABLE ${s}."connector" DROP COLUMN "local_app_url"`);
    await q.query(`DROP TABLE ${s}."connector_activation_code"`);
    await q.query(`DROP TABLE ${s}."org_qr_token"`);
  }
}
