import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '../schema';

export class InitialSchema1763900000000 implements MigrationInterface {
  name = 'InitialSchema1763900000000';

  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`
      CREATE TABLE ${s}."organization" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "slug" text NOT NULL,
        "name" text NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "PK_organization" PRIMARY KEY ("id"),
        CONSTRAINT "UQ_organization_slug" UNIQUE ("slug")
      )`);
    await q.query(`
      CREATE TABLE ${s}."connector" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "organization_id" uuid NOT NULL,
        "name" text NOT NULL,
        "public_key" text NOT NULL,
        "key_thumbprint" text NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "last_seen_at" timestamptz,
        "revoked_at" timestamptz,
        CONSTRAINT "PK_connector" PRIMARY KEY ("id"),
        CONSTRAINT "FK_connector_organization" FOREIGN KEY ("organization_id")
          REFERENCES ${s}."organization" ("id") ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX "IDX_connector_organization_id" ON ${s}."connector" ("organization_id")`);
    // One key belongs to one connector: re-registering a key returns the existing row.
    await q.query(`CREATE UNIQUE INDEX "UQ_connector_key_thumbprint" ON ${s}."connector" ("key_thumbprint")`);
  }

  async down(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`DROP INDEX ${s}."UQ_connector_key_thumbprint"`);
    await q.query(`DROP INDEX ${s}."IDX_connector_organization_id"`);
    await q.query(`DROP TABLE ${s}."connector"`);
    await q.query(`DROP TABLE ${s}."organization"`);
  }
}
