import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NotificationEntity } from './notification.entity';
import { OrmRepository } from './orm-repository';

/** A notification to store; exactly one recipient is set. */
export interface NewNotification {
  readonly id: string;
  readonly recipientPersonId?: string | null;
  readonly recipientOperatorId?: string | null;
  readonly kind: string;
  readonly eventId: string | null;
  readonly title: string;
  readonly body: string;
}

/** Rows per insert statement (7 parameters each, well under PostgreSQL's 65,535). */
const INSERT_ROWS = 2_000;

@Injectable()
export class NotificationRepository extends OrmRepository<NotificationEntity> {
  constructor(@Inject(DataSource) dataSource: DataSource) {
    super(dataSource, NotificationEntity);
  }

  /**
   * Stores notifications with one plain statement per 2,000 rows (alarms notify every operator,
   * so these come by the thousand at busy times); returns each one's `created_at` by id.
   */
  async insertMany(rows: readonly NewNotification[]): Promise<Map<string, Date>> {
    const createdAt = new Map<string, Date>();
    for (let start = 0; start < rows.length; start += INSERT_ROWS) {
      const params: unknown[] = [];
      const values = rows.slice(start, start + INSERT_ROWS).map((r) => {
        params.push(
          r.id,
          r.recipientPersonId ?? null,
          r.recipientOperatorId ?? null,
          r.kind,
          r.eventId,
          r.title,
          r.body,
        );
        const n = params.length;
        return `($${n - 6}::uuid, $${n - 5}::uuid, $${n - 4}::uuid, $${n - 3}, $${n - 2}::uuid, $${n - 1}, $${n})`;
      });
      const stored = await this.dataSource.query<{ id: string; created_at: Date }[]>(
        `INSERT INTO ${this.table} (id, recipient_person_id, recipient_operator_id, kind, event_id, title, body)
         VALUES ${values.join(', ')} RETURNING id, created_at`,
        params,
      );
      for (const r of stored) createdAt.set(r.id, new Date(r.created_at));
    }
    return createdAt;
  }
}
