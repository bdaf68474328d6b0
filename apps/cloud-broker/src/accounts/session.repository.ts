import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Sql } from './sql';

export interface SessionRecord {
  readonly id: string;
  readonly userId: string;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
  readonly expiresAt: Date;
}

interface SessionRow {
  id: string;
  user_id: string;
  ip: string | null;
  user_agent: string | null;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
}

const COLUMNS = `"id", "user_id", "ip", "user_agent", "created_at", "last_seen_at", "expires_at"`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toRecord(r: SessionRow): SessionRecord {
  return {
    id: r.id,
    userId: r.user_id,
    ip: r.ip,
    userAgent: r.user_agent,
    createdAt: new Date(r.created_at),
    lastSeenAt: new Date(r.last_seen_at),
    expiresAt: new Date(r.expires_at),
  };
}

@Injectable()
export class SessionRepository {
  private readonly sql: Sql;

  constructor(dataSource: DataSource) {
    this.sql = new Sql(dataSource);
  }

  async create(s: {
    userId: string;
    tokenHash: string;
    ip: string | null;
    userAgent: string | null;
    expiresAt: Date;
  }): Promise<SessionRecord> {
    const row = await this.sql.one<SessionRow>(
      `INSERT INTO ${this.sql.t('user_session')} ("user_id", "token_hash", "ip", "user_agent", "expires_at")
       VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
      [s.userId, s.tokenHash, s.ip, s.userAgent, s.expiresAt],
    );
    if (!row) throw new Error('session insert returned nothing');
    return toRecord(row);
  }

  /** A live session (not ended, not past its absolute expiry, not idle longer than idleMs). */
  async findLive(tokenHash: string, idleMs: number): Promise<SessionRecord | undefined> {
    const row = await this.sql.one<SessionRow>(
      `SELECT ${COLUMNS} FROM ${this.sql.t('user_session')}
        WHERE "token_hash" = $1 AND "ended_at" IS NULL AND "expires_at" > now()
          AND "last_seen_at" > now() - make_interval(secs => $2)`,
      [tokenHash, idleMs / 1000],
    );
    return row ? toRecord(row) : undefined;
  }

  async touch(id: string): Promise<void> {
    await this.sql.rows(`UPDATE ${this.sql.t('user_session')} SET "last_seen_at" = now() WHERE "id" = $1`, [id]);
  }

  async listLive(userId: string, idleMs: number): Promise<SessionRecord[]> {
    const rows = await this.sql.rows<SessionRow>(
      `SELECT ${COLUMNS} FROM ${this.sql.t('user_session')}
        WHERE "user_id" = $1 AND "ended_at" IS NULL AND "expires_at" > now()
          AND "last_seen_at" > now() - make_interval(secs => $2)
        ORDER BY "created_at" DESC`,
      [userId, idleMs / 1000],
    );
    return rows.map(toRecord);
  }

  /** Ends one session of this user; false if there is no such live session. */
  async end(userId: string, id: string): Promise<boolean> {
    if (!UUID.test(id)) return false;
    const rows = await this.sql.rows<{ id: string }>(
      `UPDATE ${this.sql.t('user_session')} SET "ended_at" = now()
        WHERE "id" = $1 AND "user_id" = $2 AND "ended_at" IS NULL RETURNING "id"`,
      [id, userId],
    );
    return rows.length > 0;
  }

  /** Ends every session of the user except `keep`; returns how many ended. */
  async endAll(userId: string, keep: string | null): Promise<number> {
    const rows = await this.sql.rows<{ id: string }>(
      `UPDATE ${this.sql.t('user_session')} SET "ended_at" = now()
        WHERE "user_id" = $1 AND "ended_at" IS NULL AND ($2::uuid IS NULL OR "id" <> $2::uuid) RETURNING "id"`,
      [userId, keep],
    );
    return rows.length;
  }
}
