import { Column, Entity, PrimaryColumn } from 'typeorm';
import { UuidEntity } from './uuid-entity';

/**
 * docs/push-protocol.md §9: `lock` (valid credentials still work), `lockout` (no credentials, exit button
 * works), `lockdown` (nothing opens). ZK terminals implement one remote lock (`CONTROL DEVICE
 * 06`), under which credentials give 63 and the exit button still works, so every mode is
 * applied the same way on the wire; the mode is recorded for the operator.
 */
export type LockdownMode = 'lock' | 'lockout' | 'lockdown';

/** A preconfigured set of doors an administrator can lock at once. */
@Entity({ name: 'lockdown_group' })
export class LockdownGroupEntity extends UuidEntity {
  @Column({ type: 'text', unique: true })
  name!: string;

  @Column({ type: 'text', default: 'lockdown' })
  mode!: LockdownMode;

  @Column({ type: 'boolean', default: false })
  active!: boolean;

  @Column({ name: 'activated_by', type: 'text', nullable: true })
  activatedBy!: string | null;

  @Column({ name: 'activated_at', type: 'timestamptz', nullable: true })
  activatedAt!: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}

@Entity({ name: 'lockdown_group_door' })
export class LockdownGroupDoorEntity {
  @PrimaryColumn({ name: 'lockdown_group_id', type: 'uuid' })
  lockdownGroupId!: string;

  @PrimaryColumn({ name: 'door_id', type: 'uuid' })
  doorId!: string;
}
