import type { DataSource, QueryRunner } from 'typeorm';

interface StructuredResult {
  records: unknown[];
  affected?: number;
}

/**
 * Parameterised SQL against the broker's schema. Repositories use it instead of entities so the
 * same statements run on PostgreSQL and PGlite, and so table names carry the configured schema.
 */
export class Sql {
  private readonly schema: string;

  constructor(
    private readonly ds: DataSource,
    private readonly runner?: QueryRunner,
  ) {
    const options = ds.options as { schema?: string };
    this.schema = `"${options.schema ?? 'public'}"`;
  }

  /** Schema-qualified table name (the schema is a validated identifier, see broker.config.ts). */
  t(table: string): string {
    return `${this.schema}."${table}"`;
  }

  async rows<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    if (this.runner) return ((await this.runner.query(sql, [...params], true)) as StructuredResult).records as T[];
    const runner = this.ds.createQueryRunner();
    try {
      return ((await runner.query(sql, [...params], true)) as StructuredResult).records as T[];
    } finally {
      await runner.release();
    }
  }

  async one<T>(sql: string, params: readonly unknown[] = []): Promise<T | undefined> {
    const rows = await this.rows<T>(sql, params);
    return rows[0];
  }

  /** Runs `fn` in one transaction on one connection; rolls back when it throws. */
  async tx<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    if (this.runner) return fn(this);
    const runner = this.ds.createQueryRunner();
    await runner.startTransaction();
    try {
      const out = await fn(new Sql(this.ds, runner));
      await runner.commitTransaction();
      return out;
    } catch (err) {
      await runner.rollbackTransaction();
      throw err;
    } finally {
      await runner.release();
    }
  }
}

/** PostgreSQL unique_violation. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: unknown; driverError?: { code?: unknown } };
  return e.code === '23505' || e.driverError?.code === '23505';
}
