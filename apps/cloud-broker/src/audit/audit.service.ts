import type { Request } from 'express';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Sql } from '../accounts/sql';
import { requestTimeZone } from '../web/time-zone';

export type AuditOutcome = 'success' | 'failure';

export interface AuditEntryInput {
  /** Dotted verb, e.g. `account.signin`, `connector.activated`. */
  readonly action: string;
  readonly outcome: AuditOutcome;
  readonly orgId?: string | null;
  readonly actorUserId?: string | null;
  readonly ip?: string | null;
  readonly userAgent?: string | null;
  /** What was acted on (an id, an email); free text, stored as data, never interpolated. */
  readonly target?: string | null;
  readonly details?: Record<string, unknown>;
}

export interface AuditEntry {
  readonly id: string;
  /** ISO 8601, UTC. */
  readonly at: string;
  readonly action: string;
  readonly outcome: AuditOutcome;
  readonly orgId: string | null;
  readonly actorUserId: string | null;
  readonly actorEmail: string | null;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly target: string | null;
  readonly details: Record<string, unknown> | null;
}

export interface RequestMeta {
  readonly ip: string | null;
  readonly userAgent: string | null;
  /** The browser's time zone (the pages' `lb_tz` cookie), for times in mail; not audited. */
  readonly timeZone?: string;
}

/**
 * Client IP (honours TRUST_PROXY_HOPS through Express's `trust proxy`), a bounded user agent
 * and the browser's time zone when its pages told us.
 */
export function requestMeta(req: Request): RequestMeta {
  const ua = req.headers['user-agent'];
  return {
    ip: req.ip ?? req.socket.remoteAddress ?? null,
    userAgent: typeof ua === 'string' ? ua.slice(0, 512) : null,
    timeZone: requestTimeZone(req),
  };
}

interface AuditRow {
  id: string;
  at: Date;
  action: string;
  outcome: AuditOutcome;
  organization_id: string | null;
  actor_user_id: string | null;
  actor_email: string | null;
  ip: string | null;
  user_agent: string | null;
  target: string | null;
  details: Record<string, unknown> | null;
}

/** Append-only audit log: who did what, from which IP and browser, when (UTC). */
@Injectable()
export class AuditService {
  private readonly sql: Sql;

  constructor(dataSource: DataSource) {
    this.sql = new Sql(dataSource);
  }

  async record(e: AuditEntryInput): Promise<void> {
    await this.sql.rows(
      `INSERT INTO ${this.sql.t('audit_log')}
         ("organization_id", "actor_user_id", "action", "outcome", "ip", "user_agent", "target", "details")
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        e.orgId ?? null,
        e.actorUserId ?? null,
        e.action,
        e.outcome,
        e.ip ?? null,
        e.userAgent?.slice(0, 512) ?? null,
        e.target?.slice(0, 512) ?? null,
        e.details ? JSON.stringify(e.details) : null,
      ],
    );
  }

  /** Newest first; `before` is an entry id for paging. */
  listForOrg(orgId: string, opts: { limit?: number; before?: string } = {}): Promise<AuditEntry[]> {
    return this.list('a."organization_id" = $1', orgId, opts);
  }

  /** The user's own entries (their sign-ins and what they did), newest first. */
  listForUser(userId: string, opts: { limit?: number; before?: string } = {}): Promise<AuditEntry[]> {
    return this.list('a."actor_user_id" = $1', userId, opts);
  }

  private async list(where: string, id: string, opts: { limit?: number; before?: string }): Promise<AuditEntry[]> {
    const limit = Math.min(Math.max(opts.limit ?? 50, 1), 500);
    const before = opts.before !== undefined && /^\d{1,18}$/.test(opts.before) ? opts.before : null;
    const rows = await this.sql.rows<AuditRow>(
      `SELECT a."id"::text AS "id", a."at", a."action", a."outcome", a."organization_id", a."actor_user_id",
              u."email" AS "actor_email", a."ip", a."user_agent", a."target", a."details"
         FROM ${this.sql.t('audit_log')} a
         LEFT JOIN ${this.sql.t('app_user')} u ON u."id" = a."actor_user_id"
        WHERE ${where} AND ($2::bigint IS NULL OR a."id" < $2::bigint)
        ORDER BY a."id" DESC
        LIMIT ${limit}`,
      [id, before],
    );
    return rows.map((r) => ({
      id: r.id,
      at: new Date(r.at).toISOString(),
      action: r.action,
      outcome: r.outcome,
      orgId: r.organization_id,
      actorUserId: r.actor_user_id,
      actorEmail: r.actor_email,
      ip: r.ip,
      userAgent: r.user_agent,
      target: r.target,
      details: r.details,
    }));
  }
}
