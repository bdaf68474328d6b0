import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '../schema';

/**
 * One site, one company: a site (its signing key, by RFC 7638 thumbprint) is recorded on at most
 * one organisation, so a site's token names one organisation. Where earlier versions recorded a
 * site on several, the oldest organisation keeps it. A connector records why the broker refused
 * its tunnel (the portal shows it), and a device authorization remembers the key of the site the
 * connector asked from, to refuse its approval into another company.
 */
export class OneSiteOneCompany1764400000000 implements MigrationInterface {
  name = 'OneSiteOneCompany1764400000000';

  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`
      UPDATE ${s}."organization" o
         SET "site_id" = NULL, "site_key_jwk" = NULL, "site_key_thumbprint" = NULL, "site_key_seen_at" = NULL
       WHERE o."site_key_thumbprint" IS NOT NULL
         AND EXISTS (
           SELECT 1 FROM ${s}."organization" k
            WHERE k."site_key_thumbprint" = o."site_key_thumbprint"
              AND (k."created_at", k."id") < (o."created_at", o."id"))`);
    await q.query(
      `CREATE UNIQUE INDEX "UQ_organization_site_key_thumbprint" ON ${s}."organization" ("site_key_thumbprint")
        WHERE "site_key_thumbprint" IS NOT NULL`,
    );
    await q.query(`
      ALTER TABLE ${s}."connector"
        ADD COLUMN "refusal" text,
        ADD COLUMN "refused_at" timestamptz`);
    await q.query(`ALTER TABLE ${s}."device_authorization" ADD COLUMN "site_key_thumbprint" text`);
  }

  async down(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`ALTER TABLE ${s}."device_authorization" DROP COLUMN "site_key_thumbprint"`);
    await q.query(`ALTER TABLE ${s}."connector" DROP COLUMN "refused_at", DROP COLUMN "refusal"`);
    await q.query(`DROP INDEX ${s}."UQ_organization_site_key_thumbprint"`);
  }
}
