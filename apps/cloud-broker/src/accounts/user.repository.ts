import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Sql } from './sql';

export interface UserRecord {
  readonly id: string;
  readonly email: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly contactNumber: string;
  readonly passwordHash: string;
  readonly emailVerifiedAt: Date | null;
}

interface UserRow {
  id: string;
  email: string;
  first_name: string;
  last_name: string;
  contact_number: string;
  password_hash: string;
  email_verified_at: Date | null;
}

const COLUMNS = `"id", "email", "first_name", "last_name", "contact_number", "password_hash", "email_verified_at"`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toRecord(r: UserRow): UserRecord {
  return {
    id: r.id,
    email: r.email,
    firstName: r.first_name,
    lastName: r.last_name,
    contactNumber: r.contact_number,
    passwordHash: r.password_hash,
    emailVerifiedAt: r.email_verified_at,
  };
}

export type TokenPurpose = 'verify_email' | 'reset_password';

@Injectable()
export class UserRepository {
  readonly sql: Sql;

  constructor(dataSource: DataSource) {
    this.sql = new Sql(dataSource);
  }

  /** Undefined when the email is taken. */
  async create(u: {
    email: string;
    firstName: string;
    lastName: string;
    contactNumber: string;
    passwordHash: string;
  }): Promise<UserRecord | undefined> {
    const row = await this.sql.one<UserRow>(
      `INSERT INTO ${this.sql.t('app_user')} ("email", "first_name", "last_name", "contact_number", "password_hash")
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT ("email") DO NOTHING RETURNING ${COLUMNS}`,
      [u.email, u.firstName, u.lastName, u.contactNumber, u.passwordHash],
    );
    return row ? toRecord(row) : undefined;
  }

  async findByEmail(email: string): Promise<UserRecord | undefined> {
    const row = await this.sql.one<UserRow>(`SELECT ${COLUMNS} FROM ${this.sql.t('app_user')} WHERE "email" = $1`, [
      email,
    ]);
    return row ? toRecord(row) : undefined;
  }

  async findById(id: string): Promise<UserRecord | undefined> {
    if (!UUID.test(id)) return undefined;
    const row = await this.sql.one<UserRow>(`SELECT ${COLUMNS} FROM ${this.sql.t('app_user')} WHERE "id" = $1`, [id]);
    return row ? toRecord(row) : undefined;
  }

  async markVerified(id: string): Promise<void> {
    await this.sql.rows(
      `UPDATE ${this.sql.t('app_user')} SET "email_verified_at" = now() WHERE "id" = $1 AND "email_verified_at" IS NULL`,
      [id],
    );
  }

  async setPasswordHash(id: string, hash: string): Promise<void> {
    await this.sql.rows(
      `UPDATE ${this.sql.t('app_user')} SET "password_hash" = $2, "password_changed_at" = now() WHERE "id" = $1`,
      [id, hash],
    );
  }

  async createToken(userId: string, purpose: TokenPurpose, tokenHash: string, ttlS: number): Promise<void> {
    await this.sql.rows(
      `INSERT INTO ${this.sql.t('user_token')} ("token_hash", "purpose", "user_id", "expires_at")
       VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
      [tokenHash, purpose, userId, ttlS],
    );
  }

  /** Marks the token used and returns its user, once: unknown, used, expired or other-purpose → undefined. */
  async consumeToken(tokenHash: string, purpose: TokenPurpose): Promise<string | undefined> {
    const row = await this.sql.one<{ user_id: string }>(
      `UPDATE ${this.sql.t('user_token')} SET "used_at" = now()
        WHERE "token_hash" = $1 AND "purpose" = $2 AND "used_at" IS NULL AND "expires_at" > now()
        RETURNING "user_id"`,
      [tokenHash, purpose],
    );
    return row?.user_id;
  }

  /** Older links stop working once a newer one is sent or the password changes. */
  async invalidateTokens(userId: string, purpose: TokenPurpose): Promise<void> {
    await this.sql.rows(
      `UPDATE ${this.sql.t('user_token')} SET "used_at" = now() WHERE "user_id" = $1 AND "purpose" = $2 AND "used_at" IS NULL`,
      [userId, purpose],
    );
  }
}
