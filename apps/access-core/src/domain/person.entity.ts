import { Column, Entity } from 'typeorm';
import { UuidEntity } from './uuid-entity';
import { encryptedBytes, encryptedText } from '../crypto/encrypted.transformer';

@Entity({ name: 'department' })
export class DepartmentEntity extends UuidEntity {
  @Column({ type: 'text', unique: true })
  code!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ name: 'parent_id', type: 'uuid', nullable: true })
  parentId!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}

/**
 * Personnel. `pin` is the personnel id the terminals know. Sensitive fields (`idNumber`,
 * `phone`, `photo`) are encrypted at rest; the entity holds plaintext.
 */
@Entity({ name: 'person' })
export class PersonEntity extends UuidEntity {
  @Column({ type: 'text', unique: true })
  pin!: string;

  @Column({ name: 'first_name', type: 'text' })
  firstName!: string;

  @Column({ name: 'last_name', type: 'text', default: '' })
  lastName!: string;

  @Column({ name: 'department_id', type: 'uuid', nullable: true })
  departmentId!: string | null;

  /** Decimal card number as the terminals report it. */
  @Column({ name: 'card_no', type: 'text', nullable: true })
  cardNo!: string | null;

  @Column({ type: 'text', nullable: true })
  email!: string | null;

  /** argon2id hash of the app-login password (personnel role). */
  @Column({ name: 'password_hash', type: 'text', nullable: true })
  passwordHash!: string | null;

  /** argon2id hash of the self-service password (on-prem self-service portal). */
  @Column({ name: 'self_service_password_hash', type: 'text', nullable: true })
  selfServicePasswordHash!: string | null;

  /** Personnel may sign in to the app only when an administrator enabled it. */
  @Column({ name: 'app_login_enabled', type: 'boolean', default: false })
  appLoginEnabled!: boolean;

  @Column({ name: 'notifications_enabled', type: 'boolean', default: true })
  notificationsEnabled!: boolean;

  @Column({ name: 'valid_from', type: 'timestamptz', nullable: true })
  validFrom!: Date | null;

  @Column({ name: 'valid_to', type: 'timestamptz', nullable: true })
  validTo!: Date | null;

  @Column({ type: 'boolean', default: false })
  disabled!: boolean;

  @Column({ name: 'id_number_enc', type: 'text', nullable: true, transformer: encryptedText })
  idNumber!: string | null;

  @Column({ name: 'phone_enc', type: 'text', nullable: true, transformer: encryptedText })
  phone!: string | null;

  @Column({ name: 'photo_enc', type: 'bytea', nullable: true, transformer: encryptedBytes })
  photo!: Buffer | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}

/** `guardianPersonId` follows the events of `personId` (e.g. a parent and a pupil). */
@Entity({ name: 'guardian' })
export class GuardianEntity extends UuidEntity {
  @Column({ name: 'guardian_person_id', type: 'uuid' })
  guardianPersonId!: string;

  @Column({ name: 'person_id', type: 'uuid' })
  personId!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
