import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DeviceCommandEntity } from './device-command.entity';
import { OrmRepository } from './orm-repository';

/** Return code -2, no response (docs/push-protocol.md §3.3). */
export const NO_RESPONSE = -2;

export interface CommandResult {
  readonly cmdId: string;
  readonly returnCode: number;
}

@Injectable()
export class DeviceCommandRepository extends OrmRepository<DeviceCommandEntity> {
  constructor(@Inject(DataSource) dataSource: DataSource) {
    super(dataSource, DeviceCommandEntity);
  }

  findById(id: string): Promise<DeviceCommandEntity | null> {
    return this.orm.findOneBy({ id });
  }

  findByIdempotencyKey(key: string): Promise<DeviceCommandEntity | null> {
    return this.orm.findOneBy({ idempotencyKey: key });
  }

  /** Inserts unless the idempotency key exists; returns the row that holds the key either way. */
  async insertIdempotent(
    row: Pick<DeviceCommandEntity, 'deviceId' | 'text' | 'kind' | 'idempotencyKey' | 'meta'>,
  ): Promise<{ command: DeviceCommandEntity; created: boolean }> {
    const res = await this.orm.createQueryBuilder().insert().values(row).orIgnore().returning(['id']).execute();
    const raw = res.raw as { id: string }[];
    const created = Array.isArray(raw) && raw.length > 0;
    const command = created
      ? await this.findById(raw[0].id)
      : row.idempotencyKey !== null
        ? await this.findByIdempotencyKey(row.idempotencyKey)
        : null;
    if (!command) throw new Error('device_command row vanished right after it was written');
    return { command, created };
  }

  /**
   * Hands out up to `limit` queued commands of a device, oldest first, marking them sent in the
   * same statement (two concurrent polls never get the same command).
   */
  async takeQueued(deviceId: string, limit: number, at: Date): Promise<DeviceCommandEntity[]> {
    const table = this.table;
    const result: unknown = await this.orm.query(
      `UPDATE ${table} SET status = 'sent', sent_at = $2
        WHERE id IN (SELECT id FROM ${table} WHERE device_id = $1 AND status = 'queued'
                     ORDER BY cmd_id LIMIT $3 FOR UPDATE SKIP LOCKED)
        RETURNING id`,
      [deviceId, at, limit],
    );
    // TypeORM's postgres driver answers an UPDATE … RETURNING with [rows, affectedCount].
    const rows = (Array.isArray(result) && Array.isArray(result[0]) ? result[0] : result) as { id: string }[];
    if (!Array.isArray(rows) || rows.length === 0) return [];
    const found = await this.orm.find({ where: rows.map((r) => ({ id: r.id })), order: { cmdId: 'ASC' } });
    return found;
  }

  /** Applies one `Return=` result; returns the updated row (undefined: unknown ID or not this device's). */
  async applyResult(deviceId: string, r: CommandResult, at: Date): Promise<DeviceCommandEntity | undefined> {
    const status = r.returnCode >= 0 ? 'acked' : 'failed';
    const res = await this.orm
      .createQueryBuilder()
      .update()
      .set({ status, returnCode: r.returnCode, ackedAt: at })
      .where('cmd_id = :cmdId AND device_id = :deviceId', { cmdId: r.cmdId, deviceId })
      .returning(['id'])
      .execute();
    const raw = res.raw as { id: string }[];
    if (!Array.isArray(raw) || raw.length === 0) return undefined;
    return (await this.findById(raw[0].id)) ?? undefined;
  }

  /**
   * Commands handed out but never answered (the device restarted mid-poll) fail with -2 "no
   * response" rather than being re-sent: a late door opening is worse than a reported failure.
   */
  async failUnanswered(deviceId: string, at: Date): Promise<DeviceCommandEntity[]> {
    const res = await this.orm
      .createQueryBuilder()
      .update()
      .set({ status: 'failed', returnCode: NO_RESPONSE, ackedAt: at })
      .where("device_id = :deviceId AND status = 'sent'", { deviceId })
      .returning(['id'])
      .execute();
    const raw = res.raw as { id: string }[];
    if (!Array.isArray(raw) || raw.length === 0) return [];
    return this.orm.find({ where: raw.map((r) => ({ id: r.id })) });
  }
}
