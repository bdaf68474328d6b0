import { Column, Entity, Generated } from 'typeorm';
import { UuidEntity } from './uuid-entity';

/** queued → sent (handed out by getrequest) → acked (Return ≥ 0) | failed (Return < 0). */
export type DeviceCommandStatus = 'queued' | 'sent' | 'acked' | 'failed';

/** Context of a command (door number, lockdown group, person …). */
export type DeviceCommandMeta = { [key: string]: string | number | boolean | null };

/** One command line for one device (docs/push-protocol.md §3). */
@Entity({ name: 'device_command' })
export class DeviceCommandEntity extends UuidEntity {
  /** The `C:<CmdID>:` number the device echoes back as `ID=`; a global sequence. */
  @Column({ name: 'cmd_id', type: 'bigint', unique: true })
  @Generated('increment')
  cmdId!: string;

  @Column({ name: 'device_id', type: 'uuid' })
  deviceId!: string;

  /** The command without the `C:<id>:` prefix, e.g. `CONTROL DEVICE 01010105`. */
  @Column({ type: 'text' })
  text!: string;

  /** What it is for, e.g. `open-door`, `lock`, `data-user`. */
  @Column({ type: 'text' })
  kind!: string;

  @Column({ type: 'text', default: 'queued' })
  status!: DeviceCommandStatus;

  @Column({ name: 'return_code', type: 'integer', nullable: true })
  returnCode!: number | null;

  @Column({ name: 'idempotency_key', type: 'text', nullable: true, unique: true })
  idempotencyKey!: string | null;

  @Column({ type: 'jsonb', nullable: true })
  meta!: DeviceCommandMeta | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true })
  sentAt!: Date | null;

  @Column({ name: 'acked_at', type: 'timestamptz', nullable: true })
  ackedAt!: Date | null;
}
