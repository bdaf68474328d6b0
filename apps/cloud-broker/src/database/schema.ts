import type { QueryRunner } from 'typeorm';

/** The quoted schema name of the connection (validated as a plain identifier by the config). */
export function schemaOf(q: QueryRunner): string {
  const options = q.connection.options as { schema?: string };
  return `"${options.schema ?? 'public'}"`;
}
