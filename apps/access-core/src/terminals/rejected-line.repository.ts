import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { asBuffer } from '../crypto/encrypted.transformer';

/** Bytes of a line kept as its raw text; a longer line keeps its start and its full length. */
export const RAW_KEEP_BYTES = 8 * 1024;

/** One line to set aside. */
export interface RejectedLineInput {
  readonly deviceSn: string;
  readonly deviceId: string | null;
  readonly ip: string | null;
  readonly endpoint: string;
  readonly table: string | null;
  readonly reason: string;
  readonly raw: string;
}

export interface RejectedLineRow {
  readonly id: string;
  readonly deviceSn: string;
  readonly deviceId: string | null;
  readonly ip: string | null;
  readonly endpoint: string;
  readonly table: string | null;
  readonly reason: string;
  readonly raw: string;
  readonly rawBytes: number;
  readonly truncated: boolean;
  readonly times: number;
  readonly firstReceivedAt: Date;
  readonly lastReceivedAt: Date;
}

export interface RejectedLineFilter {
  readonly deviceSn?: string;
  readonly since?: Date;
  readonly order: 'ASC' | 'DESC';
  readonly skip: number;
  readonly take: number;
}

interface Raw {
  id: string;
  device_sn: string;
  device_id: string | null;
  ip: string | null;
  endpoint: string;
  upload_table: string | null;
  reason: string;
  raw: unknown;
  raw_length: number;
  times: number;
  first_received_at: Date | string;
  last_received_at: Date | string;
}

// TypeORM's postgres driver returns [rows, affected] for DELETE … RETURNING; PGlite's the rows.
function rowsOf(result: unknown): unknown[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as unknown[];
  }
  return Array.isArray(result) ? (result as unknown[]) : [];
}

/** Table `push_rejected_line` (migration 1767610000000-push-rejected-line.ts), plain SQL. */
@Injectable()
export class RejectedLineRepository {
  private readonly table: string;

  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {
    const schema = dataSource.options.type === 'postgres' ? dataSource.options.schema : undefined;
    this.table = schema ? `"${schema}"."push_rejected_line"` : '"push_rejected_line"';
  }

  /**
   * Stores the lines (one statement); a line already set aside for the device counts once more
   * and takes the latest reason and address.
   */
  async add(lines: readonly RejectedLineInput[], at: Date): Promise<void> {
    // One row per (device, line) in the statement: ON CONFLICT cannot touch a row twice.
    const unique = new Map<string, { line: RejectedLineInput; bytes: Buffer; sha: Buffer; times: number }>();
    for (const line of lines) {
      const bytes = Buffer.from(line.raw, 'utf8');
      const sha = createHash('sha256').update(bytes).digest();
      const key = `${line.deviceSn}\n${sha.toString('hex')}`;
      const seen = unique.get(key);
      if (seen) {
        seen.times++;
        seen.line = line;
      } else unique.set(key, { line, bytes, sha, times: 1 });
    }
    if (unique.size === 0) return;
    const params: unknown[] = [];
    const p = (v: unknown): string => {
      params.push(v);
      return `$${params.length}`;
    };
    const when = `${p(at)}::timestamptz`;
    const values = [...unique.values()]
      .map(({ line, bytes, sha, times }) =>
        [
          p(line.deviceSn),
          `${p(line.deviceId)}::uuid`,
          p(line.ip),
          p(line.endpoint),
          p(line.table),
          p(line.reason),
          p(bytes.subarray(0, RAW_KEEP_BYTES)),
          `${p(bytes.length)}::int`,
          p(sha),
          `${p(times)}::int`,
          when,
          when,
        ].join(', '),
      )
      .map((v) => `(${v})`)
      .join(', ');
    await this.dataSource.query(
      `INSERT INTO ${this.table} (device_sn, device_id, ip, endpoint, upload_table, reason, raw, raw_length, raw_sha256,
         times, first_received_at, last_received_at)
       VALUES ${values}
       ON CONFLICT (device_sn, raw_sha256) DO UPDATE SET
         times = ${this.table}.times + EXCLUDED.times,
         reason = EXCLUDED.reason,
         ip = EXCLUDED.ip,
         device_id = EXCLUDED.device_id,
         endpoint = EXCLUDED.endpoint,
         upload_table = EXCLUDED.upload_table,
         last_received_at = EXCLUDED.last_received_at`,
      params,
    );
  }

  async list(f: RejectedLineFilter): Promise<{ rows: RejectedLineRow[]; total: number }> {
    const params: unknown[] = [];
    const where: string[] = [];
    if (f.deviceSn !== undefined) {
      params.push(f.deviceSn);
      where.push(`device_sn = $${params.length}`);
    }
    if (f.since !== undefined) {
      params.push(f.since);
      where.push(`last_received_at >= $${params.length}`);
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const [count] = await this.dataSource.query<{ n: string }[]>(
      `SELECT count(*)::text AS n FROM ${this.table} ${clause}`,
      params,
    );
    const rows = await this.dataSource.query<Raw[]>(
      `SELECT id::text, device_sn, device_id::text, ip, endpoint, upload_table, reason, raw, raw_length, times,
              first_received_at, last_received_at
         FROM ${this.table} ${clause}
        ORDER BY last_received_at ${f.order}, id ${f.order}
        LIMIT ${Math.trunc(f.take)} OFFSET ${Math.trunc(f.skip)}`,
      params,
    );
    return { rows: rows.map(toRow), total: Number(count?.n ?? 0) };
  }

  /** Deletes one row; false when there was none. */
  async remove(id: string): Promise<boolean> {
    return rowsOf(await this.dataSource.query(`DELETE FROM ${this.table} WHERE id = $1 RETURNING id`, [id])).length > 0;
  }

  /** Keeps the `keep` most recently seen rows. Returns how many were deleted. */
  async prune(keep: number): Promise<number> {
    return rowsOf(
      await this.dataSource.query(
        `DELETE FROM ${this.table} WHERE id IN (
           SELECT id FROM ${this.table} ORDER BY last_received_at DESC, id DESC OFFSET ${Math.trunc(keep)})
         RETURNING id`,
      ),
    ).length;
  }
}

function toRow(r: Raw): RejectedLineRow {
  const raw = asBuffer(r.raw) ?? Buffer.alloc(0);
  return {
    id: r.id,
    deviceSn: r.device_sn,
    deviceId: r.device_id,
    ip: r.ip,
    endpoint: r.endpoint,
    table: r.upload_table,
    reason: r.reason,
    raw: raw.toString('utf8'),
    rawBytes: r.raw_length,
    truncated: r.raw_length > raw.length,
    times: r.times,
    firstReceivedAt: new Date(r.first_received_at),
    lastReceivedAt: new Date(r.last_received_at),
  };
}
