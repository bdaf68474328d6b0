import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuthSessionStore, type AuthSessionRow, type NewAuthSession } from './auth-session.store';
import { ROLES, type Role } from './principal';

interface Raw {
  id: string;
  family_id: string;
  role: string;
  subject_id: string;
  expires_at: Date;
  rotated_at: Date | null;
  revoked_at: Date | null;
}

function toRow(r: Raw): AuthSessionRow {
  if (!(ROLES as readonly string[]).includes(r.role)) throw new Error(`auth_session ${r.id} has role ${r.role}`);
  return {
    id: r.id,
    familyId: r.family_id,
    role: r.role as Role,
    subjectId: r.subject_id,
    expiresAt: r.expires_at,
    rotatedAt: r.rotated_at,
    revokedAt: r.revoked_at,
  };
}

/** Table `auth_session` (migration 1767398400000-create-auth-session.ts), in plain parameterised SQL. */
@Injectable()
export class AuthSessionRepository extends AuthSessionStore {
  private readonly table: string;

  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {
    super();
    const schema = dataSource.options.type === 'postgres' ? dataSource.options.schema : undefined;
    this.table = schema ? `"${schema}"."auth_session"` : '"auth_session"';
  }

  async insert(row: NewAuthSession): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO ${this.table} (family_id, role, subject_id, token_hash, expires_at, ip, user_agent)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [row.familyId, row.role, row.subjectId, row.tokenHash, row.expiresAt, row.ip ?? null, row.userAgent ?? null],
    );
  }

  async findByHash(tokenHash: string): Promise<AuthSessionRow | undefined> {
    const rows = await this.dataSource.query<Raw[]>(
      `SELECT id, family_id, role, subject_id, expires_at, rotated_at, revoked_at FROM ${this.table} WHERE token_hash = $1`,
      [tokenHash],
    );
    return rows[0] ? toRow(rows[0]) : undefined;
  }

  async markRotated(id: string, at: Date): Promise<boolean> {
    const rows = await this.dataSource.query<{ id: string }[]>(
      `UPDATE ${this.table} SET rotated_at = $2 WHERE id = $1 AND rotated_at IS NULL RETURNING id`,
      [id, at],
    );
    return firstRows(rows).length === 1;
  }

  async revokeFamily(familyId: string, at: Date): Promise<void> {
    await this.dataSource.query(
      `UPDATE ${this.table} SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL`,
      [familyId, at],
    );
  }

  async revokeSubject(role: Role, subjectId: string, at: Date): Promise<void> {
    await this.dataSource.query(
      `UPDATE ${this.table} SET revoked_at = $3 WHERE role = $1 AND subject_id = $2 AND revoked_at IS NULL`,
      [role, subjectId, at],
    );
  }

  async isFamilyActive(familyId: string, now: Date): Promise<boolean> {
    const rows = await this.dataSource.query<{ one: number }[]>(
      `SELECT 1 AS one FROM ${this.table} WHERE family_id = $1 AND revoked_at IS NULL AND expires_at > $2 LIMIT 1`,
      [familyId, now],
    );
    return rows.length > 0;
  }
}

// TypeORM's postgres driver returns [rows, affected] for UPDATE … RETURNING.
function firstRows(result: unknown): unknown[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as unknown[];
  }
  return Array.isArray(result) ? result : [];
}
