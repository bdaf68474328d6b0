import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type Repository } from 'typeorm';
import { scrubDatabaseText } from '@lanbridge/logging';
import { AccessEventEntity, AlarmEntity } from './access-event.entity';
import { OrmRepository } from './orm-repository';

export type NewAccessEvent = Omit<AccessEventEntity, 'id' | 'createdAt'>;

/** One event of a batch insert: its id is chosen by the caller; `alarmId` set raises an alarm. */
export interface BatchEvent {
  readonly id: string;
  readonly event: NewAccessEvent;
  readonly alarmId: string | null;
}

/** What a batch insert stored: the events that were not duplicates, with their alarms. */
export interface StoredBatchEvent {
  readonly eventCreatedAt: Date;
  readonly alarmCreatedAt: Date | null;
}

/** The outcome of one batch: stored events by id, and the ids the database refused, with why. */
export interface BatchOutcome {
  readonly stored: Map<string, StoredBatchEvent>;
  readonly rejected: Map<string, string>;
}

/**
 * A refusal that is about the row itself, not the database's health: SQLSTATE class 22 (data
 * exception, e.g. a NUL byte in text) or 23 (integrity constraint). Such a row is set aside; any
 * other failure fails the batch, so the terminal sends it again later.
 */
export function isRowError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code);
}

function rowErrorReason(err: unknown): string {
  const e = err as { code?: string; message?: string; constraint?: string };
  const what = scrubDatabaseText(e.message ?? '').slice(0, 200);
  return `the database refused the record (${e.code ?? '?'}${e.constraint ? `, ${e.constraint}` : ''}): ${what}`;
}

const EVENT_COLUMNS = [
  'id',
  'device_sn',
  'device_id',
  'device_index',
  'fingerprint',
  'source',
  'time',
  'code',
  'name',
  'level',
  'door_id',
  'door_no',
  'pin',
  'person_id',
  'card_no',
  'verify_type',
  'in_out',
  'picture',
  'raw',
] as const;
/** Rows per statement (PostgreSQL takes at most 65,535 parameters). */
const BATCH_ROWS = 1_000;

interface WaitingBatch {
  readonly rows: readonly BatchEvent[];
  readonly resolve: (outcome: BatchOutcome) => void;
  readonly reject: (err: unknown) => void;
}

@Injectable()
export class AccessEventRepository extends OrmRepository<AccessEventEntity> {
  /** Batches waiting for the insert in flight (see `insertBatch`). */
  private waiting: WaitingBatch[] = [];
  private inserting: Promise<void> | undefined;

  constructor(@Inject(DataSource) dataSource: DataSource) {
    super(dataSource, AccessEventEntity);
  }

  findById(id: string): Promise<AccessEventEntity | null> {
    return this.orm.findOneBy({ id });
  }

  /** Which of these events carry a captured picture (without loading the pictures). */
  async idsWithPicture(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.orm
      .createQueryBuilder('e')
      .select('e.id', 'id')
      .where('e.id IN (:...ids) AND e.picture IS NOT NULL', { ids })
      .getRawMany<{ id: string }>();
    return new Set(rows.map((r) => r.id));
  }

  /**
   * Inserts unless (deviceId, deviceIndex, fingerprint) already exists; returns the new row, or
   * undefined for a duplicate (a re-sent rtlog line).
   */
  async insertUnlessDuplicate(event: NewAccessEvent): Promise<AccessEventEntity | undefined> {
    const result = await this.orm.createQueryBuilder().insert().values(event).orIgnore().returning(['id']).execute();
    const raw = result.raw as { id: string }[];
    if (!Array.isArray(raw) || raw.length === 0) return undefined;
    return (await this.findById(raw[0].id)) ?? undefined;
  }

  /**
   * Inserts a batch of events and the alarms of those that are new, each new event also listed
   * in `event_dispatch` until its follow-up is done; an event whose (deviceId,
   * deviceIndex, fingerprint) is already stored — or repeated within the batch — is skipped with
   * its alarm.
   * Returns, by event id, the rows stored, and the rows the database refused (see isRowError).
   *
   * Group commit: one insert runs at a time, and the batches that arrive meanwhile (other
   * terminals' uploads) are stored together by the next one, one statement and one commit for
   * all of them. If such a shared insert fails, each batch is retried on its own, so one bad
   * batch never fails another terminal's upload; a batch that fails on its own for a row's
   * sake is stored row by row, so one bad row never fails the rest of its upload.
   */
  insertBatch(rows: readonly BatchEvent[]): Promise<BatchOutcome> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ rows, resolve, reject });
      this.inserting ??= this.drainBatches();
    });
  }

  private async drainBatches(): Promise<void> {
    while (this.waiting.length > 0) {
      const batches = this.waiting;
      this.waiting = [];
      try {
        const stored = await this.insertRows(batches.flatMap((b) => b.rows));
        for (const b of batches) b.resolve({ stored, rejected: new Map() });
      } catch (err) {
        if (batches.length === 1) await this.rowByRow(batches[0], err);
        else {
          for (const b of batches) {
            await this.insertRows(b.rows).then(
              (stored) => b.resolve({ stored, rejected: new Map() }),
              (alone: unknown) => this.rowByRow(b, alone),
            );
          }
        }
      }
    }
    this.inserting = undefined;
  }

  /** After `err` failed the batch on its own: each row alone if it was a row's fault, else fail. */
  private async rowByRow(batch: WaitingBatch, err: unknown): Promise<void> {
    if (!isRowError(err) || batch.rows.length === 0) {
      batch.reject(err);
      return;
    }
    const stored = new Map<string, StoredBatchEvent>();
    const rejected = new Map<string, string>();
    try {
      for (const row of batch.rows) {
        try {
          for (const [id, s] of await this.insertRows([row])) stored.set(id, s);
        } catch (rowErr) {
          if (!isRowError(rowErr)) throw rowErr;
          rejected.set(row.id, rowErrorReason(rowErr));
        }
      }
    } catch (fatal) {
      batch.reject(fatal);
      return;
    }
    batch.resolve({ stored, rejected });
  }

  /** One statement (one round trip, one commit) per 1,000 rows. */
  private async insertRows(rows: readonly BatchEvent[]): Promise<Map<string, StoredBatchEvent>> {
    const out = new Map<string, StoredBatchEvent>();
    const alarmTable = this.dataSource.getRepository(AlarmEntity).metadata;
    const alarms = alarmTable.schema ? `"${alarmTable.schema}"."${alarmTable.tableName}"` : `"${alarmTable.tableName}"`;
    const dispatch = alarmTable.schema ? `"${alarmTable.schema}"."event_dispatch"` : `"event_dispatch"`;
    for (let start = 0; start < rows.length; start += BATCH_ROWS) {
      const chunk = rows.slice(start, start + BATCH_ROWS);
      const params: unknown[] = [];
      const p = (v: unknown): string => {
        params.push(v);
        return `$${params.length}`;
      };
      const values = chunk
        .map(({ id, event: e }) =>
          [
            id,
            e.deviceSn,
            e.deviceId,
            e.deviceIndex,
            e.fingerprint,
            e.source,
            e.time,
            e.code,
            e.name,
            e.level,
            e.doorId,
            e.doorNo,
            e.pin,
            e.personId,
            e.cardNo,
            e.verifyType,
            e.inOut,
            e.picture,
            e.raw,
          ].map(p),
        )
        .map((v) => `(${v.join(', ')})`)
        .join(', ');
      const alarmRows = chunk.filter((r) => r.alarmId !== null);
      const alarmValues = alarmRows
        .map((r) => `(${p(r.alarmId)}::uuid, ${p(r.id)}::uuid, ${p(r.event.level)}::text)`)
        .join(', ');
      const alarmCte = alarmRows.length
        ? `, al AS (
             INSERT INTO ${alarms} (id, event_id, level)
             SELECT a.id, a.event_id, a.level FROM (VALUES ${alarmValues}) AS a(id, event_id, level)
             JOIN ev ON ev.id = a.event_id
             RETURNING event_id, created_at)
           SELECT ev.id::text AS id, ev.created_at, al.created_at AS alarm_created_at
           FROM ev LEFT JOIN al ON al.event_id = ev.id`
        : ` SELECT ev.id::text AS id, ev.created_at, NULL::timestamptz AS alarm_created_at FROM ev`;
      const result = await this.dataSource.query<{ id: string; created_at: Date; alarm_created_at: Date | null }[]>(
        `WITH ev AS (
           INSERT INTO ${this.table} (${EVENT_COLUMNS.map((c) => `"${c}"`).join(', ')}) VALUES ${values}
           ON CONFLICT DO NOTHING
           RETURNING id, created_at),
         -- Listed until its follow-up is done (EventDispatchService), in the same commit.
         dp AS (INSERT INTO ${dispatch} (event_id) SELECT id FROM ev)${alarmCte}`,
        params,
      );
      for (const r of result) {
        out.set(r.id, {
          eventCreatedAt: new Date(r.created_at),
          alarmCreatedAt: r.alarm_created_at === null ? null : new Date(r.alarm_created_at),
        });
      }
    }
    return out;
  }
}

@Injectable()
export class AlarmRepository extends OrmRepository<AlarmEntity> {
  readonly events: Repository<AccessEventEntity>;

  constructor(@Inject(DataSource) dataSource: DataSource) {
    super(dataSource, AlarmEntity);
    this.events = dataSource.getRepository(AccessEventEntity);
  }

  findById(id: string): Promise<AlarmEntity | null> {
    return this.orm.findOneBy({ id });
  }

  findByEventId(eventId: string): Promise<AlarmEntity | null> {
    return this.orm.findOneBy({ eventId });
  }

  /** Confirms once; returns the updated row, or null when missing or already confirmed. */
  async confirm(id: string, by: string, remark: string | null, at: Date): Promise<AlarmEntity | null> {
    const res = await this.orm
      .createQueryBuilder()
      .update()
      .set({ confirmed: true, confirmedBy: by, confirmedAt: at, remark })
      .where('id = :id AND confirmed = false', { id })
      .execute();
    return res.affected ? this.findById(id) : null;
  }
}
