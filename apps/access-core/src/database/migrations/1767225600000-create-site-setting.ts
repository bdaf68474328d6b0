import type { MigrationInterface, QueryRunner } from 'typeorm';
import { qualifiedTable } from './qualified-table';

export class CreateSiteSetting1767225600000 implements MigrationInterface {
  readonly name = 'CreateSiteSetting1767225600000';

  async up(q: QueryRunner): Promise<void> {
    const table = qualifiedTable(q, 'site_setting');
    await q.query(
      `CREATE TABLE ${table} (
        "key" text NOT NULL,
        "value" jsonb NOT NULL,
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pk_site_setting" PRIMARY KEY ("key")
      )`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ${qualifiedTable(q, 'site_setting')}`);
  }
}
