import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/**
 * Table `event_dispatch` (migration 1767630000000-event-dispatch.ts): stored events whose
 * follow-up has not finished. Rows are written by AccessEventRepository.insertBatch in the
 * statement that stores the events.
 */
@Injectable()
export class EventDispatchRepository {
  private readonly table: string;

  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {
    const schema = dataSource.options.type === 'postgres' ? dataSource.options.schema : undefined;
    this.table = schema ? `"${schema}"."event_dispatch"` : '"event_dispatch"';
  }

  /** Up to `limit` event ids listed before `before`, oldest first. */
  async pending(before: Date, limit: number): Promise<string[]> {
    const rows = await this.dataSource.query<{ id: string }[]>(
      `SELECT event_id::text AS id FROM ${this.table} WHERE created_at < $1 ORDER BY created_at, event_id LIMIT $2`,
      [before, limit],
    );
    return rows.map((r) => r.id);
  }

  async done(eventIds: readonly string[]): Promise<void> {
    if (eventIds.length === 0) return;
    await this.dataSource.query(`DELETE FROM ${this.table} WHERE event_id = ANY($1::uuid[])`, [eventIds]);
  }
}
