import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { JsonValue } from '../database/site-setting.entity';

/** Records older than this are forgotten: a retry a day later acts again. */
export const IDEMPOTENCY_RETENTION_HOURS = 24;

/** A claimed key: `result` is null while the first request is still acting. */
export interface IdempotencyRecord {
  readonly result: JsonValue | null;
}

/** Table `idempotency_record` (migration 1767500000000-mobile-path.ts), in plain parameterised SQL. */
@Injectable()
export class IdempotencyRepository {
  private readonly table: string;

  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {
    const schema = dataSource.options.type === 'postgres' ? dataSource.options.schema : undefined;
    this.table = schema ? `"${schema}"."idempotency_record"` : '"idempotency_record"';
  }

  /** Claims `key` for the caller; false when another request holds or held it. */
  async claim(key: string): Promise<boolean> {
    await this.dataSource.query(`DELETE FROM ${this.table} WHERE created_at < now() - make_interval(hours => $1)`, [
      IDEMPOTENCY_RETENTION_HOURS,
    ]);
    const rows = await this.dataSource.query<{ key: string }[]>(
      `INSERT INTO ${this.table} (key) VALUES ($1) ON CONFLICT (key) DO NOTHING RETURNING key`,
      [key],
    );
    return rows.length === 1;
  }

  async find(key: string): Promise<IdempotencyRecord | undefined> {
    const rows = await this.dataSource.query<{ result: JsonValue | null }[]>(
      `SELECT result FROM ${this.table} WHERE key = $1`,
      [key],
    );
    return rows[0];
  }

  async complete(key: string, result: JsonValue): Promise<void> {
    await this.dataSource.query(`UPDATE ${this.table} SET result = $2::jsonb WHERE key = $1`, [
      key,
      JSON.stringify(result),
    ]);
  }

  /** Gives the key up after the first request failed, so a retry acts. */
  async release(key: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM ${this.table} WHERE key = $1 AND result IS NULL`, [key]);
  }
}
