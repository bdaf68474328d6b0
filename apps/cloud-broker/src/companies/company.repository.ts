import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { isUniqueViolation, Sql } from '../accounts/sql';

export type Role = 'owner' | 'admin' | 'installer';
export const ROLES: readonly Role[] = ['owner', 'admin', 'installer'];

export interface Company {
  readonly id: string;
  readonly slug: string;
  readonly name: string;
  readonly createdAt: string;
}

export interface Membership {
  readonly company: Company;
  readonly role: Role;
}

export interface Member {
  readonly userId: string;
  readonly email: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly role: Role;
  readonly since: string;
}

export interface Invitation {
  readonly id: string;
  readonly email: string;
  readonly role: Role;
  readonly createdAt: string;
  readonly expiresAt: string;
}

interface CompanyRow {
  id: string;
  slug: string;
  name: string;
  created_at: Date;
  role?: Role;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(id: string): boolean {
  return UUID.test(id);
}

function toCompany(r: CompanyRow): Company {
  return { id: r.id, slug: r.slug, name: r.name, createdAt: new Date(r.created_at).toISOString() };
}

@Injectable()
export class CompanyRepository {
  readonly sql: Sql;

  constructor(dataSource: DataSource) {
    this.sql = new Sql(dataSource);
  }

  /** Creates the company with `ownerId` as owner; the slug gets a random suffix until unique. */
  async create(sql: Sql, name: string, baseSlug: string, ownerId: string): Promise<Company> {
    for (let attempt = 0; ; attempt++) {
      const slug = `${baseSlug}-${Math.random().toString(36).slice(2, 8)}`;
      try {
        const row = await sql.one<CompanyRow>(
          `INSERT INTO ${sql.t('organization')} ("slug", "name", "created_by") VALUES ($1, $2, $3)
           RETURNING "id", "slug", "name", "created_at"`,
          [slug, name, ownerId],
        );
        if (!row) throw new Error('organization insert returned nothing');
        await sql.rows(
          `INSERT INTO ${sql.t('organization_member')} ("organization_id", "user_id", "role") VALUES ($1, $2, 'owner')`,
          [row.id, ownerId],
        );
        return toCompany(row);
      } catch (err) {
        if (!isUniqueViolation(err) || attempt >= 4) throw err;
      }
    }
  }

  async listForUser(userId: string): Promise<Membership[]> {
    const rows = await this.sql.rows<CompanyRow & { role: Role }>(
      `SELECT o."id", o."slug", o."name", o."created_at", m."role"
         FROM ${this.sql.t('organization_member')} m JOIN ${this.sql.t('organization')} o ON o."id" = m."organization_id"
        WHERE m."user_id" = $1 ORDER BY o."name", o."id"`,
      [userId],
    );
    return rows.map((r) => ({ company: toCompany(r), role: r.role }));
  }

  async membership(sql: Sql, userId: string, orgId: string): Promise<Membership | undefined> {
    if (!isUuid(orgId)) return undefined;
    const r = await sql.one<CompanyRow & { role: Role }>(
      `SELECT o."id", o."slug", o."name", o."created_at", m."role"
         FROM ${sql.t('organization_member')} m JOIN ${sql.t('organization')} o ON o."id" = m."organization_id"
        WHERE m."user_id" = $1 AND m."organization_id" = $2`,
      [userId, orgId],
    );
    return r ? { company: toCompany(r), role: r.role } : undefined;
  }

  async rename(orgId: string, name: string): Promise<void> {
    await this.sql.rows(`UPDATE ${this.sql.t('organization')} SET "name" = $2 WHERE "id" = $1`, [orgId, name]);
  }

  async members(orgId: string): Promise<Member[]> {
    const rows = await this.sql.rows<{
      user_id: string;
      email: string;
      first_name: string;
      last_name: string;
      role: Role;
      created_at: Date;
    }>(
      `SELECT m."user_id", u."email", u."first_name", u."last_name", m."role", m."created_at"
         FROM ${this.sql.t('organization_member')} m JOIN ${this.sql.t('app_user')} u ON u."id" = m."user_id"
        WHERE m."organization_id" = $1 ORDER BY m."created_at"`,
      [orgId],
    );
    return rows.map((r) => ({
      userId: r.user_id,
      email: r.email,
      firstName: r.first_name,
      lastName: r.last_name,
      role: r.role,
      since: new Date(r.created_at).toISOString(),
    }));
  }

  async countOwners(sql: Sql, orgId: string): Promise<number> {
    const r = await sql.one<{ n: string }>(
      `SELECT count(*)::text AS "n" FROM ${sql.t('organization_member')} WHERE "organization_id" = $1 AND "role" = 'owner'`,
      [orgId],
    );
    return Number(r?.n ?? 0);
  }

  async setRole(sql: Sql, orgId: string, userId: string, role: Role): Promise<void> {
    await sql.rows(
      `UPDATE ${sql.t('organization_member')} SET "role" = $3 WHERE "organization_id" = $1 AND "user_id" = $2`,
      [orgId, userId, role],
    );
  }

  async removeMember(sql: Sql, orgId: string, userId: string): Promise<void> {
    await sql.rows(`DELETE FROM ${sql.t('organization_member')} WHERE "organization_id" = $1 AND "user_id" = $2`, [
      orgId,
      userId,
    ]);
  }

  /** Adds the membership; an existing one keeps its role. */
  async addMember(sql: Sql, orgId: string, userId: string, role: Role): Promise<void> {
    await sql.rows(
      `INSERT INTO ${sql.t('organization_member')} ("organization_id", "user_id", "role") VALUES ($1, $2, $3)
       ON CONFLICT ("organization_id", "user_id") DO NOTHING`,
      [orgId, userId, role],
    );
  }

  async createInvitation(i: {
    orgId: string;
    email: string;
    role: Role;
    tokenHash: string;
    invitedBy: string;
    ttlS: number;
  }): Promise<Invitation> {
    const r = await this.sql.one<{ id: string; email: string; role: Role; created_at: Date; expires_at: Date }>(
      `INSERT INTO ${this.sql.t('organization_invitation')} ("organization_id", "email", "role", "token_hash", "invited_by", "expires_at")
       VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6)) RETURNING "id", "email", "role", "created_at", "expires_at"`,
      [i.orgId, i.email, i.role, i.tokenHash, i.invitedBy, i.ttlS],
    );
    if (!r) throw new Error('invitation insert returned nothing');
    return {
      id: r.id,
      email: r.email,
      role: r.role,
      createdAt: new Date(r.created_at).toISOString(),
      expiresAt: new Date(r.expires_at).toISOString(),
    };
  }

  async pendingInvitations(orgId: string): Promise<Invitation[]> {
    const rows = await this.sql.rows<{ id: string; email: string; role: Role; created_at: Date; expires_at: Date }>(
      `SELECT "id", "email", "role", "created_at", "expires_at" FROM ${this.sql.t('organization_invitation')}
        WHERE "organization_id" = $1 AND "accepted_at" IS NULL AND "expires_at" > now() ORDER BY "created_at" DESC`,
      [orgId],
    );
    return rows.map((r) => ({
      id: r.id,
      email: r.email,
      role: r.role,
      createdAt: new Date(r.created_at).toISOString(),
      expiresAt: new Date(r.expires_at).toISOString(),
    }));
  }

  /** Locks a live invitation for acceptance. */
  async lockInvitation(
    sql: Sql,
    tokenHash: string,
  ): Promise<{ id: string; orgId: string; email: string; role: Role } | undefined> {
    const r = await sql.one<{ id: string; organization_id: string; email: string; role: Role }>(
      `SELECT "id", "organization_id", "email", "role" FROM ${sql.t('organization_invitation')}
        WHERE "token_hash" = $1 AND "accepted_at" IS NULL AND "expires_at" > now() FOR UPDATE`,
      [tokenHash],
    );
    return r ? { id: r.id, orgId: r.organization_id, email: r.email, role: r.role } : undefined;
  }

  async markAccepted(sql: Sql, id: string, userId: string): Promise<void> {
    await sql.rows(
      `UPDATE ${sql.t('organization_invitation')} SET "accepted_at" = now(), "accepted_by" = $2 WHERE "id" = $1`,
      [id, userId],
    );
  }
}
