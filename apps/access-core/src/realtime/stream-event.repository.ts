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

/** A message with the id it was delivered under, to be stored. */
export interface StreamRow {
  readonly id: bigint;
  readonly type: string;
  readonly audience: Audience;
  readonly data: unknown;
  /** Unique when set: a row whose key is already stored is skipped (see LiveMessage.key). */
  readonly key: string | null;
}

/** Rows per insert statement (5 parameters each, well under PostgreSQL's 65,535). */
const INSERT_ROWS = 1000;

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
  private sequence: string | undefined;

  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {
    const schema = dataSource.options.type === 'postgres' ? dataSource.options.schema : undefined;
    const t = (name: string): string => (schema ? `"${schema}"."${name}"` : `"${name}"`);
    this.events = t('stream_event');
    this.cursors = t('stream_cursor');
  }

  /**
   * Draws `n` ids from the table's sequence, in increasing order. The hub hands them out to
   * messages as they are published, so it can deliver a message before its row is written.
   */
  async reserveIds(n: number): Promise<bigint[]> {
    if (this.sequence === undefined) {
      const found = await this.dataSource.query<{ seq: string | null }[]>(
        `SELECT pg_get_serial_sequence($1, 'id') AS seq`,
        [this.events],
      );
      const seq = found[0]?.seq;
      if (!seq) throw new Error('stream_event.id has no sequence');
      this.sequence = seq;
    }
    const rows = await this.dataSource.query<{ id: string }[]>(
      `SELECT nextval($1::regclass)::text AS id FROM generate_series(1, $2::int)`,
      [this.sequence, n],
    );
    if (rows.length !== n) throw new Error('stream_event id reservation returned fewer ids than asked');
    return rows.map((r) => BigInt(r.id)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /**
   * Stores messages under ids drawn by `reserveIds`, in one statement per 1,000 rows; returns
   * the ids stored (all but those whose key was stored before).
   */
  async insertMany(rows: readonly StreamRow[]): Promise<Set<bigint>> {
    const stored = new Set<bigint>();
    for (let start = 0; start < rows.length; start += INSERT_ROWS)
      for (const id of await this.insertChunk(rows.slice(start, start + INSERT_ROWS))) stored.add(id);
    return stored;
  }

  private async insertChunk(items: readonly StreamRow[]): Promise<bigint[]> {
    if (items.length === 0) return [];
    const params: unknown[] = [];
    const values = items.map(({ id, type, audience, data, key }) => {
      const stored = {
        ...(audience.roles ? { roles: audience.roles } : {}),
        ...(audience.personIds ? { personIds: audience.personIds } : {}),
      };
      params.push(id.toString(), type, JSON.stringify(stored), JSON.stringify(data ?? null), key);
      const n = params.length;
      return `($${n - 4}::bigint, $${n - 3}, $${n - 2}::jsonb, $${n - 1}::jsonb, $${n}::text)`;
    });
    const rows = await this.dataSource.query<{ id: string }[]>(
      `INSERT INTO ${this.events} (id, type, audience, data, key) VALUES ${values.join(', ')}
       ON CONFLICT (key) WHERE key IS NOT NULL DO NOTHING
       RETURNING id::text AS id`,
      params,
    );
    return rowsOf<{ id: string }>(rows).map((r) => BigInt(r.id));
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

  /**
   * Up to `limit` messages for `who` with an id greater than `after` (and at most `upTo`),
   * oldest first.
   */
  async page(after: string, who: Receiver, limit: number, upTo?: string): Promise<StoredStreamEvent[]> {
    return this.dataSource.query<StoredStreamEvent[]>(
      `SELECT e.id::text AS id, e.type, e.data FROM ${this.events} e
       WHERE e.id > $1::bigint AND ($5::bigint IS NULL OR e.id <= $5::bigint)
         AND (e.audience @> jsonb_build_object('roles', jsonb_build_array($2::text))
              OR ($2::text = 'personnel' AND e.audience @> jsonb_build_object('personIds', jsonb_build_array($3::text))))
       ORDER BY e.id
       LIMIT $4`,
      [after, who.role, who.subjectId, limit, upTo ?? null],
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
