import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '../schema';

/**
 * Per organisation: the ingress policy (`site-session` checks site access tokens at the broker,
 * `open` is a plain HTTP tunnel) and the on-prem site's identity as learnt from its hello
 * (site id, Ed25519 signing JWK, RFC 7638 thumbprint, when it was last seen).
 */
export class SiteTrust1764200000000 implements MigrationInterface {
  name = 'SiteTrust1764200000000';

  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`
      ALTER TABLE ${s}."organization"
        ADD COLUMN "ingress_policy" text NOT NULL DEFAULT 'site-session',
        ADD COLUMN "site_id" text,
        ADD COLUMN "site_key_jwk" jsonb,
        ADD COLUMN "site_key_thumbprint" text,
        ADD COLUMN "site_key_seen_at" timestamptz,
        ADD CONSTRAINT "CHK_organization_ingress_policy" CHECK ("ingress_policy" IN ('site-session', 'open'))`);
    // Push subscriptions find the organisation by the access token's issuer (the site id).
    await q.query(`CREATE INDEX "IDX_organization_site_id" ON ${s}."organization" ("site_id")`);
  }

  async down(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`DROP INDEX ${s}."IDX_organization_site_id"`);
    await q.query(`
      ALTER TABLE ${s}."organization"
        DROP CONSTRAINT "CHK_organization_ingress_policy",
        DROP COLUMN "site_key_seen_at",
        DROP COLUMN "site_key_thumbprint",
        DROP COLUMN "site_key_jwk",
        DROP COLUMN "site_id",
        DROP COLUMN "ingress_policy"`);
  }
}
