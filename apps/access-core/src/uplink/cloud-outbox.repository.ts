import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { JsonValue } from '../database/site-setting.entity';

/**
 * What a row carries to the cloud: `settings` (PUT /v1/settings) and `data-delete`
 * (DELETE /v1/data) are control rows, sent one by one before anything else; `push`, `device`
 * and `event-log` are posted in batches.
 */
export const OUTBOX_KINDS = ['settings', 'data-delete', 'push', 'device', 'event-log'] as const;
export type OutboxKind = (typeof OUTBOX_KINDS)[number];
export type BatchKind = Extract<OutboxKind, 'push' | 'device' | 'event-log'>;

export interface OutboxRow {
  /** Decimal text of the bigserial id. */
  readonly id: string;
  readonly kind: OutboxKind;
  readonly payload: { readonly [key: string]: JsonValue };
  readonly attempts: number;
  /** True when its backoff has passed (compared with the database clock). */
  readonly due: boolean;
}

/** An item the cloud refused as malformed, kept for an operator (table `cloud_outbox_rejected`). */
export interface RejectedOutboxRow {
  /** Decimal text of the bigserial id. */
  readonly id: string;
  /** The outbox row it was (the id the cloud saw, except for event logs: their event id). */
  readonly outboxId: string;
  readonly kind: OutboxKind;
  readonly payload: { readonly [key: string]: JsonValue };
  /** The cloud's reasons, as it gave them. */
  readonly problems: readonly string[];
  readonly queuedAt: Date;
  readonly rejectedAt: Date;
}

/** Delay before a row's next attempt after `attempts` failures: 1 s, doubling, at most 30 s. */
export const ROW_BACKOFF_SQL = `least(30, power(2, least(attempts, 5)))`;

/** Table `cloud_outbox` (migration 1767500000000-mobile-path.ts), in plain parameterised SQL. */
@Injectable()
export class CloudOutboxRepository {
  private readonly table: string;

  private readonly rejectedTable: string;

  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {
    const schema = dataSource.options.type === 'postgres' ? dataSource.options.schema : undefined;
    this.table = schema ? `"${schema}"."cloud_outbox"` : '"cloud_outbox"';
    this.rejectedTable = schema ? `"${schema}"."cloud_outbox_rejected"` : '"cloud_outbox_rejected"';
  }

  /**
   * Moves rows the cloud refused out of the outbox into `cloud_outbox_rejected`, each with its
   * problems, in one statement; returns the rows moved.
   */
  async setAside(problems: ReadonlyMap<string, readonly string[]>): Promise<RejectedOutboxRow[]> {
    if (problems.size === 0) return [];
    const byId = Object.fromEntries(problems);
    const rows = await this.dataSource.query<RawRejected[]>(
      `WITH moved AS (DELETE FROM ${this.table} WHERE id = ANY($1::bigint[]) RETURNING id, kind, payload, created_at)
       INSERT INTO ${this.rejectedTable} (outbox_id, kind, payload, problems, queued_at)
       SELECT id, kind, payload, $2::jsonb -> (id::text), created_at FROM moved
       RETURNING ${REJECTED_COLUMNS}`,
      [[...problems.keys()], JSON.stringify(byId)],
    );
    return rows.map(rejectedRow);
  }

  /** A page of set-aside items, newest first, and how many there are. */
  async rejected(skip: number, take: number): Promise<{ rows: RejectedOutboxRow[]; total: number }> {
    const rows = await this.dataSource.query<RawRejected[]>(
      `SELECT ${REJECTED_COLUMNS} FROM ${this.rejectedTable} ORDER BY rejected_at DESC, id DESC OFFSET $1 LIMIT $2`,
      [skip, take],
    );
    const total = await this.dataSource.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${this.rejectedTable}`);
    return { rows: rows.map(rejectedRow), total: total[0]?.n ?? 0 };
  }

  /** Dismisses a set-aside item; false when there is none with this id. */
  async removeRejected(id: string): Promise<boolean> {
    const rows = await this.dataSource.query<{ id: string }[]>(
      `WITH d AS (DELETE FROM ${this.rejectedTable} WHERE id = $1::bigint RETURNING id) SELECT id::text FROM d`,
      [id],
    );
    return rows.length > 0;
  }

  async enqueue(kind: OutboxKind, payload: { readonly [key: string]: JsonValue }): Promise<void> {
    await this.dataSource.query(`INSERT INTO ${this.table} (kind, payload) VALUES ($1, $2::jsonb)`, [
      kind,
      JSON.stringify(payload),
    ]);
  }

  /** Queues several rows in one statement; their ids follow the order given. */
  async enqueueMany(
    rows: readonly { kind: OutboxKind; payload: { readonly [key: string]: JsonValue } }[],
  ): Promise<void> {
    for (let start = 0; start < rows.length; start += 5_000) {
      const chunk = rows.slice(start, start + 5_000);
      const params: string[] = [];
      const values = chunk.map(({ kind, payload }) => {
        params.push(kind, JSON.stringify(payload));
        return `($${params.length - 1}, $${params.length}::jsonb)`;
      });
      await this.dataSource.query(`INSERT INTO ${this.table} (kind, payload) VALUES ${values.join(', ')}`, params);
    }
  }

  /** Queues the state of a device, replacing any older state of it not yet sent (upsert by sn). */
  async replaceDevice(payload: { readonly sn: string; readonly [key: string]: JsonValue }): Promise<void> {
    await this.dataSource.query(`DELETE FROM ${this.table} WHERE kind = 'device' AND payload->>'sn' = $1`, [
      payload.sn,
    ]);
    await this.enqueue('device', payload);
  }

  /** Every control row, oldest first. */
  control(): Promise<OutboxRow[]> {
    return this.dataSource.query<OutboxRow[]>(
      `SELECT id::text AS id, kind, payload, attempts, next_attempt_at <= now() AS due FROM ${this.table}
       WHERE kind IN ('settings', 'data-delete') ORDER BY id`,
    );
  }

  /** Up to `limit` rows of `kind` whose backoff has passed, oldest first. */
  due(kind: BatchKind, limit: number): Promise<OutboxRow[]> {
    return this.dataSource.query<OutboxRow[]>(
      `SELECT id::text AS id, kind, payload, attempts, true AS due FROM ${this.table}
       WHERE kind = $1 AND next_attempt_at <= now() ORDER BY id LIMIT $2`,
      [kind, limit],
    );
  }

  async delete(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.dataSource.query(`DELETE FROM ${this.table} WHERE id = ANY($1::bigint[])`, [ids]);
  }

  /** Counts a failed attempt on each row and pushes its next attempt back (1 s → 30 s). */
  async failed(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.dataSource.query(
      `UPDATE ${this.table}
       SET next_attempt_at = now() + make_interval(secs => ${ROW_BACKOFF_SQL}), attempts = attempts + 1
       WHERE id = ANY($1::bigint[])`,
      [ids],
    );
  }

  async dropKinds(kinds: readonly OutboxKind[]): Promise<number> {
    const rows = await this.dataSource.query<{ n: number }[]>(
      `WITH d AS (DELETE FROM ${this.table} WHERE kind = ANY($1::text[]) RETURNING 1) SELECT count(*)::int AS n FROM d`,
      [kinds],
    );
    return rows[0]?.n ?? 0;
  }

  /**
   * Bounds the outbox through a long outage: pushes older than a day (stale as alerts) and data
   * older than a week are dropped; returns how many.
   */
  async expire(): Promise<number> {
    const rows = await this.dataSource.query<{ n: number }[]>(
      `WITH d AS (
         DELETE FROM ${this.table}
         WHERE (kind = 'push' AND created_at < now() - interval '1 day')
            OR (kind IN ('device', 'event-log') AND created_at < now() - interval '7 days')
         RETURNING 1)
       SELECT count(*)::int AS n FROM d`,
    );
    return rows[0]?.n ?? 0;
  }

  /** Drops pushes addressed to a person whose data is being erased. */
  async forgetPerson(personId: string): Promise<void> {
    await this.dataSource.query(
      `DELETE FROM ${this.table} WHERE kind = 'push' AND payload->'recipients' @> jsonb_build_array($1::text)`,
      [`personnel:${personId}`],
    );
  }

  async count(): Promise<number> {
    const rows = await this.dataSource.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${this.table}`);
    return rows[0]?.n ?? 0;
  }

  /** Milliseconds until the earliest row is due (0 when one is due now), or undefined when empty. */
  async nextDueInMs(): Promise<number | undefined> {
    const rows = await this.dataSource.query<{ ms: number | null }[]>(
      // greatest() ignores NULL: without the CASE an empty table would read as "due now".
      `SELECT CASE WHEN min(next_attempt_at) IS NULL THEN NULL
              ELSE greatest(0, extract(epoch FROM min(next_attempt_at) - now()) * 1000)::float8 END AS ms
       FROM ${this.table}`,
    );
    const ms = rows[0]?.ms;
    return ms === null || ms === undefined ? undefined : Number(ms);
  }
}

const REJECTED_COLUMNS = `id::text AS id, outbox_id::text AS outbox_id, kind, payload, problems, queued_at, rejected_at`;

interface RawRejected {
  readonly id: string;
  readonly outbox_id: string;
  readonly kind: OutboxKind;
  readonly payload: { readonly [key: string]: JsonValue };
  readonly problems: unknown;
  readonly queued_at: Date | string;
  readonly rejected_at: Date | string;
}

function rejectedRow(r: RawRejected): RejectedOutboxRow {
  return {
    id: r.id,
    outboxId: r.outbox_id,
    kind: r.kind,
    payload: r.payload,
    problems: Array.isArray(r.problems) ? r.problems.map(String) : [],
    queuedAt: new Date(r.queued_at),
    rejectedAt: new Date(r.rejected_at),
  };
}
