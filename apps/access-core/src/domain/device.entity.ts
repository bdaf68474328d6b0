import { Column, Entity } from 'typeorm';
import { UuidEntity } from './uuid-entity';

/** `acc`: Security PUSH 3.1.2 (rtlog). `att`: Attendance PUSH 2.4.x (ATTLOG). */
export type DeviceProtocol = 'acc' | 'att';

/**
 * `auto`: the device registered by itself (unknown SN accepted into the default area);
 * `provisioned`: an administrator created it before it first connected.
 */
export type DeviceEnrollment = 'auto' | 'provisioned';

/**
 * `pending`: an unknown serial number called in and waits for an operator (it gets nothing);
 * `approved`: a site terminal; `rejected`: refused for good (until an operator approves it).
 */
export type DeviceApproval = 'pending' | 'approved' | 'rejected';
export const DEVICE_APPROVALS: readonly DeviceApproval[] = ['pending', 'approved', 'rejected'];

/** A terminal or panel, keyed by its serial number. */
@Entity({ name: 'device' })
export class DeviceEntity extends UuidEntity {
  @Column({ type: 'text', unique: true })
  sn!: string;

  /** Display name; defaults to the device's `~DeviceName` + SN. */
  @Column({ type: 'text' })
  alias!: string;

  /** `~DeviceName` from the registry body (e.g. `F20/M`). */
  @Column({ type: 'text', nullable: true })
  model!: string | null;

  @Column({ type: 'text', nullable: true })
  firmware!: string | null;

  @Column({ type: 'text', default: 'acc' })
  protocol!: DeviceProtocol;

  @Column({ name: 'machine_type', type: 'integer', nullable: true })
  machineType!: number | null;

  @Column({ name: 'door_count', type: 'integer', default: 1 })
  doorCount!: number;

  @Column({ name: 'reader_count', type: 'integer', default: 0 })
  readerCount!: number;

  @Column({ name: 'registry_code', type: 'text', nullable: true })
  registryCode!: string | null;

  @Column({ name: 'session_id', type: 'text', nullable: true })
  sessionId!: string | null;

  @Column({ name: 'push_version', type: 'text', nullable: true })
  pushVersion!: string | null;

  /** `AccSupportFunList` bit string (bit 2 = remote lock supported). */
  @Column({ type: 'text', nullable: true })
  capabilities!: string | null;

  @Column({ type: 'text', default: 'auto' })
  enrollment!: DeviceEnrollment;

  @Column({ type: 'text', default: 'approved' })
  approval!: DeviceApproval;

  /** Who approved or rejected it (`operator:<name>`), and when. */
  @Column({ name: 'decided_by', type: 'text', nullable: true })
  decidedBy!: string | null;

  @Column({ name: 'decided_at', type: 'timestamptz', nullable: true })
  decidedAt!: Date | null;

  /** The address its last registration (or attendance handshake) came from. */
  @Column({ name: 'last_ip', type: 'text', nullable: true })
  lastIp!: string | null;

  @Column({ type: 'boolean', default: false })
  online!: boolean;

  @Column({ name: 'last_seen_at', type: 'timestamptz', nullable: true })
  lastSeenAt!: Date | null;

  @Column({ name: 'area_id', type: 'uuid', nullable: true })
  areaId!: string | null;

  /** The full registry body and later `options` uploads, by key. */
  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" })
  options!: Record<string, string>;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
