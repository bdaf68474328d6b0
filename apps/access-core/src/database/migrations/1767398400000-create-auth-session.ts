import type { MigrationInterface, QueryRunner } from 'typeorm';
import { qualifiedTable } from './qualified-table';

/**
 * Mobile sign-in sessions: one row per refresh token (stored as its SHA-256, never in clear),
 * grouped in families so replaying a rotated token revokes the whole session.
 */
export class CreateAuthSession1767398400000 implements MigrationInterface {
  readonly name = 'CreateAuthSession1767398400000';

  async up(q: QueryRunner): Promise<void> {
    const t = qualifiedTable(q, 'auth_session');
    await q.query(`CREATE TABLE ${t} (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "family_id" uuid NOT NULL,
      "role" text NOT NULL,
      "subject_id" uuid NOT NULL,
      "token_hash" text NOT NULL,
      "expires_at" timestamptz NOT NULL,
      "rotated_at" timestamptz NULL,
      "revoked_at" timestamptz NULL,
      "ip" text NULL,
      "user_agent" text NULL,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "pk_auth_session" PRIMARY KEY ("id"),
      CONSTRAINT "uq_auth_session_token_hash" UNIQUE ("token_hash"),
      CONSTRAINT "ck_auth_session_role" CHECK ("role" IN ('admin', 'personnel'))
    )`);
    await q.query(`CREATE INDEX "ix_auth_session_family" ON ${t} ("family_id")`);
    await q.query(`CREATE INDEX "ix_auth_session_subject" ON ${t} ("role", "subject_id")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ${qualifiedTable(q, 'auth_session')}`);
  }
}
