import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Role } from '../auth/principal';

/** Who receives a message: everyone of `roles`, and/or the personnel users in `personIds`. */
export interface Audience {
  readonly roles?: readonly Role[];
  readonly personIds?: readonly string[];
}

/** A stored message; `id` is the decimal text of a bigint. */
export interface StoredStreamEvent {
  readonly id: string;
  readonly type: string;
  readonly data: unknown;
}

/** The receiver of a replay, as far as the audience rules are concerned. */
export interface Receiver {
  readonly role: Role;
  readonly subjectId: string;
}

// TypeORM's postgres driver returns [rows, affected] for DELETE … RETURNING.
function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as T[];
  }
  return Array.isArray(result) ? (result as T[]) : [];
}

/**
 * Tables `stream_event` and `stream_cursor` (migration 1767500000000-mobile-path.ts), in plain
 * parameterised SQL. The audience test in SQL is the one of `audienceMatches` in stream.hub.ts.
 */
@Injectable()
export class StreamEventRepository {
  private readonly events: string;
  private readonly cursors: string;

  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {
    const schema = dataSource.options.type === 'postgres' ? dataSource.options.schema : undefined;
    const t = (name: string): string => (schema ? `"${schema}"."${name}"` : `"${name}"`);
    this.events = t('stream_event');
    this.cursors = t('stream_cursor');
  }

  async append(type: string, audience: Audience, data: unknown): Promise<string> {
    const stored = {
      ...(audience.roles ? { roles: audience.roles } : {}),
      ...(audience.personIds ? { personIds: audience.personIds } : {}),
    };
    const rows = await this.dataSource.query<{ id: string }[]>(
      `INSERT INTO ${this.events} (type, audience, data) VALUES ($1, $2::jsonb, $3::jsonb) RETURNING id::text AS id`,
      [type, JSON.stringify(stored), JSON.stringify(data ?? null)],
    );
    const id = rows[0]?.id;
    if (id === undefined) throw new Error('stream_event insert returned no id');
    return id;
  }

  /**
   * Appends several messages in one statement; returns their ids in the order given (ids are
   * drawn in row order, so sorting the returned ids gives that order).
   */
  async appendMany(items: readonly { type: string; audience: Audience; data: unknown }[]): Promise<string[]> {
    if (items.length === 0) return [];
    const params: unknown[] = [];
    const values = items.map(({ type, audience, data }) => {
      const stored = {
        ...(audience.roles ? { roles: audience.roles } : {}),
        ...(audience.personIds ? { personIds: audience.personIds } : {}),
      };
      params.push(type, JSON.stringify(stored), JSON.stringify(data ?? null));
      const n = params.length;
      return `($${n - 2}, $${n - 1}::jsonb, $${n}::jsonb)`;
    });
    const rows = await this.dataSource.query<{ id: string }[]>(
      `INSERT INTO ${this.events} (type, audience, data) VALUES ${values.join(', ')} RETURNING id::text AS id`,
      params,
    );
    if (rows.length !== items.length) throw new Error('stream_event insert returned fewer ids than rows');
    return rows
      .map((r) => BigInt(r.id))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map(String);
  }

  /** The newest id, "0" when nothing was ever stored (pruning always keeps the newest row). */
  async latestId(): Promise<string> {
    const rows = await this.dataSource.query<{ id: string }[]>(
      `SELECT COALESCE(max(id), 0)::text AS id FROM ${this.events}`,
    );
    return rows[0]?.id ?? '0';
  }

  /** The oldest id still stored, or undefined when the table is empty. */
  async oldestId(): Promise<string | undefined> {
    const rows = await this.dataSource.query<{ id: string | null }[]>(`SELECT min(id)::text AS id FROM ${this.events}`);
    return rows[0]?.id ?? undefined;
  }

  /** Up to `limit` messages for `who` with an id greater than `after`, oldest first. */
  async page(after: string, who: Receiver, limit: number): Promise<StoredStreamEvent[]> {
    return this.dataSource.query<StoredStreamEvent[]>(
      `SELECT e.id::text AS id, e.type, e.data FROM ${this.events} e
       WHERE e.id > $1::bigint
         AND (e.audience @> jsonb_build_object('roles', jsonb_build_array($2::text))
              OR ($2::text = 'personnel' AND e.audience @> jsonb_build_object('personIds', jsonb_build_array($3::text))))
       ORDER BY e.id
       LIMIT $4`,
      [after, who.role, who.subjectId, limit],
    );
  }

  /** Deletes messages older than `before`, always keeping the newest one; returns how many. */
  async prune(before: Date): Promise<number> {
    const result: unknown = await this.dataSource.query(
      `DELETE FROM ${this.events}
       WHERE created_at < $1 AND id < (SELECT max(id) FROM ${this.events})
       RETURNING id`,
      [before],
    );
    return rowsOf(result).length;
  }

  /** Deletes every message addressed to one person (their data is being erased). */
  async forgetPerson(personId: string): Promise<void> {
    await this.dataSource.query(
      `DELETE FROM ${this.events} WHERE audience @> jsonb_build_object('personIds', jsonb_build_array($1::text))`,
      [personId],
    );
  }

  async cursor(sessionId: string): Promise<string | undefined> {
    const rows = await this.dataSource.query<{ last_id: string }[]>(
      `SELECT last_id::text AS last_id FROM ${this.cursors} WHERE session_id = $1`,
      [sessionId],
    );
    return rows[0]?.last_id;
  }

  /** Records `id` as acknowledged by the session family; never moves a cursor backwards. */
  async saveCursor(sessionId: string, id: string): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO ${this.cursors} (session_id, last_id, updated_at) VALUES ($1, $2::bigint, now())
       ON CONFLICT (session_id) DO UPDATE
         SET last_id = GREATEST(${this.cursors}.last_id, EXCLUDED.last_id), updated_at = now()`,
      [sessionId, id],
    );
  }

  async pruneCursors(before: Date): Promise<void> {
    await this.dataSource.query(`DELETE FROM ${this.cursors} WHERE updated_at < $1`, [before]);
  }
}
