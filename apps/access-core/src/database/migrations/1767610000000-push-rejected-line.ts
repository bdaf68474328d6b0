import type { MigrationInterface, QueryRunner } from 'typeorm';
import { qualifiedTable } from './qualified-table';

/**
 * `push_rejected_line`: lines a terminal uploaded that could not be stored (a NUL byte, no
 * valid event code or time, a value the database refuses), set aside with the raw text so an
 * operator can see them, while the rest of the upload is stored and the terminal moves on.
 * One row per (device, line); `times` counts how often the same line came again.
 */
export class PushRejectedLine1767610000000 implements MigrationInterface {
  readonly name = 'PushRejectedLine1767610000000';

  async up(q: QueryRunner): Promise<void> {
    const t = qualifiedTable(q, 'push_rejected_line');
    await q.query(
      `CREATE TABLE ${t} (
        "id" bigserial NOT NULL,
        "device_sn" text NOT NULL,
        "device_id" uuid NULL,
        "ip" text NULL,
        "endpoint" text NOT NULL,
        "upload_table" text NULL,
        "reason" text NOT NULL,
        "raw" bytea NOT NULL,
        "raw_length" integer NOT NULL,
        "raw_sha256" bytea NOT NULL,
        "times" integer NOT NULL DEFAULT 1,
        "first_received_at" timestamptz NOT NULL DEFAULT now(),
        "last_received_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pk_push_rejected_line" PRIMARY KEY ("id"),
        CONSTRAINT "uq_push_rejected_line" UNIQUE ("device_sn", "raw_sha256"),
        CONSTRAINT "fk_push_rejected_line_device" FOREIGN KEY ("device_id") REFERENCES ${qualifiedTable(q, 'device')} ("id") ON DELETE SET NULL
      )`,
    );
    await q.query(`CREATE INDEX "ix_push_rejected_line_last" ON ${t} ("last_received_at" DESC, "id" DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ${qualifiedTable(q, 'push_rejected_line')}`);
  }
}
