import { Column, Entity } from 'typeorm';
import { plainBytes } from '../crypto/encrypted.transformer';
import { UuidEntity } from './uuid-entity';

/** Level by event-code range (docs/push-protocol.md §7). */
export type EventLevel = 'normal' | 'exception' | 'alarm';

/** Where the row came from: a terminal's rtlog, an ATTLOG punch, or access-core itself (700). */
export type EventSource = 'rtlog' | 'attlog' | 'server';

/** One access event (an access record when a person is involved). */
@Entity({ name: 'access_event' })
export class AccessEventEntity extends UuidEntity {
  @Column({ name: 'device_sn', type: 'text' })
  deviceSn!: string;

  @Column({ name: 'device_id', type: 'uuid', nullable: true })
  deviceId!: string | null;

  /**
   * The device's record `index`. With `fingerprint` it de-duplicates re-sent lines: unique per
   * (device, index, fingerprint), since a terminal may restart its index.
   */
  @Column({ name: 'device_index', type: 'bigint', nullable: true })
  deviceIndex!: string | null;

  /** What the record says (events/event-fingerprint.ts); set with `deviceIndex`, else null. */
  @Column({ type: 'uuid', nullable: true })
  fingerprint!: string | null;

  @Column({ type: 'text' })
  source!: EventSource;

  @Column({ type: 'timestamptz' })
  time!: Date;

  @Column({ type: 'integer' })
  code!: number;

  /** ZKBio English label of `code` (events/event-codes.ts). */
  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  level!: EventLevel;

  @Column({ name: 'door_id', type: 'uuid', nullable: true })
  doorId!: string | null;

  @Column({ name: 'door_no', type: 'integer', nullable: true })
  doorNo!: number | null;

  @Column({ type: 'text', nullable: true })
  pin!: string | null;

  @Column({ name: 'person_id', type: 'uuid', nullable: true })
  personId!: string | null;

  @Column({ name: 'card_no', type: 'text', nullable: true })
  cardNo!: string | null;

  /** A verify-mode code (`4`, docs/push-protocol.md §7) or a 16-bit mask string, as sent. */
  @Column({ name: 'verify_type', type: 'text', nullable: true })
  verifyType!: string | null;

  /** 0 in, 1 out, 2 none. */
  @Column({ name: 'in_out', type: 'integer', nullable: true })
  inOut!: number | null;

  @Column({ type: 'bytea', nullable: true, transformer: plainBytes })
  picture!: Buffer | null;

  /** The line as received (null for server events and after a person's data was erased). */
  @Column({ type: 'text', nullable: true })
  raw!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}

/** An exception- or alarm-level event awaiting an operator's confirmation. */
@Entity({ name: 'alarm' })
export class AlarmEntity extends UuidEntity {
  @Column({ name: 'event_id', type: 'uuid', unique: true })
  eventId!: string;

  @Column({ type: 'text' })
  level!: Exclude<EventLevel, 'normal'>;

  @Column({ type: 'boolean', default: false })
  confirmed!: boolean;

  @Column({ name: 'confirmed_by', type: 'text', nullable: true })
  confirmedBy!: string | null;

  @Column({ name: 'confirmed_at', type: 'timestamptz', nullable: true })
  confirmedAt!: Date | null;

  @Column({ type: 'text', nullable: true })
  remark!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
