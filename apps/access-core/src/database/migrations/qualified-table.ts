import type { QueryRunner } from 'typeorm';

/** `"schema"."table"` when the DataSource has a schema, else `"table"` (resolved by search_path). */
export function qualifiedTable(q: QueryRunner, table: string): string {
  const options = q.connection.options;
  const schema = options.type === 'postgres' ? options.schema : undefined;
  return schema ? `"${schema}"."${table}"` : `"${table}"`;
}
