import type { MigrationInterface, QueryRunner } from 'typeorm';
import { qualifiedTable } from './qualified-table';

/**
 * Terminals an operator has not approved: an unknown serial number that calls in is recorded
 * as `pending` (with its address and what it says it is), and gets nothing until an operator
 * approves it; `rejected` ones stay refused. Devices that existed before were trusted, so they
 * start `approved`.
 */
export class DeviceApproval1767620000000 implements MigrationInterface {
  readonly name = 'DeviceApproval1767620000000';

  async up(q: QueryRunner): Promise<void> {
    const t = qualifiedTable(q, 'device');
    await q.query(`ALTER TABLE ${t} ADD COLUMN "approval" text NOT NULL DEFAULT 'approved'`);
    await q.query(
      `ALTER TABLE ${t} ADD CONSTRAINT "ck_device_approval" CHECK ("approval" IN ('pending', 'approved', 'rejected'))`,
    );
    await q.query(`ALTER TABLE ${t} ADD COLUMN "last_ip" text NULL`);
    await q.query(`ALTER TABLE ${t} ADD COLUMN "decided_by" text NULL`);
    await q.query(`ALTER TABLE ${t} ADD COLUMN "decided_at" timestamptz NULL`);
    await q.query(`CREATE INDEX "ix_device_approval" ON ${t} ("approval", "created_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    const t = qualifiedTable(q, 'device');
    // Without the column every device would be trusted: the ones nobody approved go.
    await q.query(`DELETE FROM ${t} WHERE "approval" <> 'approved'`);
    await q.query(`DROP INDEX ${qualifiedTable(q, 'ix_device_approval')}`);
    for (const column of ['decided_at', 'decided_by', 'last_ip']) {
      await q.query(`ALTER TABLE ${t} DROP COLUMN "${column}"`);
    }
    await q.query(`ALTER TABLE ${t} DROP CONSTRAINT "ck_device_approval"`);
    await q.query(`ALTER TABLE ${t} DROP COLUMN "approval"`);
  }
}
