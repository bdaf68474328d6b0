import { Column, Entity } from 'typeorm';
import { UuidEntity } from './uuid-entity';

/** Door contact as last reported by `rtstate`. */
export type DoorSensorState = 'unknown' | 'none' | 'closed' | 'open';

/** One lock of a device (door number 1–4), with its last known state. */
@Entity({ name: 'door' })
export class DoorEntity extends UuidEntity {
  @Column({ name: 'device_id', type: 'uuid' })
  deviceId!: string;

  @Column({ name: 'door_no', type: 'integer' })
  doorNo!: number;

  @Column({ type: 'text' })
  name!: string;

  /** Seconds the lock relay stays open for a remote open. */
  @Column({ name: 'drive_time_sec', type: 'integer', default: 5 })
  driveTimeSec!: number;

  @Column({ name: 'sensor_state', type: 'text', default: 'unknown' })
  sensorState!: DoorSensorState;

  @Column({ name: 'relay_open', type: 'boolean', default: false })
  relayOpen!: boolean;

  /** Alarm byte from rtstate: 1 forced, 2 tamper, 4/8 duress, 16 open timeout, … (docs/push-protocol.md §2.6). */
  @Column({ name: 'alarm_state', type: 'integer', default: 0 })
  alarmState!: number;

  /** Under Lockdown: a lockdown group holding this door is active (desired state). */
  @Column({ name: 'locked_down', type: 'boolean', default: false })
  lockedDown!: boolean;

  /** Normal-open (passage mode) requested for today. */
  @Column({ name: 'normal_open', type: 'boolean', default: false })
  normalOpen!: boolean;

  @Column({ name: 'state_updated_at', type: 'timestamptz', nullable: true })
  stateUpdatedAt!: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}

/** A reader on a door (registry `ReaderCount`: two per door, in and out). */
@Entity({ name: 'reader' })
export class ReaderEntity extends UuidEntity {
  @Column({ name: 'door_id', type: 'uuid' })
  doorId!: string;

  @Column({ name: 'reader_no', type: 'integer' })
  readerNo!: number;

  @Column({ type: 'text' })
  name!: string;

  @Column({ name: 'in_out', type: 'text', default: 'in' })
  inOut!: 'in' | 'out';
}
