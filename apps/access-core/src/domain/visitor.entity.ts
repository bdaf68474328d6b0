import { Column, Entity } from 'typeorm';
import { UuidEntity } from './uuid-entity';
import { encryptedBytes, encryptedText } from '../crypto/encrypted.transformer';

/** A visitor; `contact`, `idNumber` and `photo` are encrypted at rest. */
@Entity({ name: 'visitor' })
export class VisitorEntity extends UuidEntity {
  @Column({ type: 'text' })
  name!: string;

  @Column({ name: 'contact_enc', type: 'text', nullable: true, transformer: encryptedText })
  contact!: string | null;

  @Column({ name: 'id_number_enc', type: 'text', nullable: true, transformer: encryptedText })
  idNumber!: string | null;

  @Column({ name: 'photo_enc', type: 'bytea', nullable: true, transformer: encryptedBytes })
  photo!: Buffer | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}

export type VisitStatus = 'reserved' | 'checked_in' | 'checked_out';

/** One visit of a visitor to a host. */
@Entity({ name: 'visit' })
export class VisitEntity extends UuidEntity {
  @Column({ name: 'visitor_id', type: 'uuid' })
  visitorId!: string;

  @Column({ name: 'host_person_id', type: 'uuid', nullable: true })
  hostPersonId!: string | null;

  @Column({ type: 'text', nullable: true })
  reason!: string | null;

  @Column({ name: 'start_at', type: 'timestamptz' })
  startAt!: Date;

  @Column({ name: 'end_at', type: 'timestamptz', nullable: true })
  endAt!: Date | null;

  @Column({ type: 'text', default: 'reserved' })
  status!: VisitStatus;

  @Column({ name: 'checked_in_at', type: 'timestamptz', nullable: true })
  checkedInAt!: Date | null;

  @Column({ name: 'checked_out_at', type: 'timestamptz', nullable: true })
  checkedOutAt!: Date | null;

  @Column({ name: 'plate_photo_enc', type: 'bytea', nullable: true, transformer: encryptedBytes })
  platePhoto!: Buffer | null;

  @Column({ name: 'goods_photo_enc', type: 'bytea', nullable: true, transformer: encryptedBytes })
  goodsPhoto!: Buffer | null;

  @Column({ name: 'invitation_id', type: 'uuid', nullable: true })
  invitationId!: string | null;

  /** Operator username (or `invitation`) that registered the visit. */
  @Column({ name: 'created_by', type: 'text', nullable: true })
  createdBy!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}

export type InvitationStatus = 'pending' | 'used' | 'expired' | 'cancelled';

/** A visitor invitation issued by a person; its QR is single-use (only the token hash is kept). */
@Entity({ name: 'invitation' })
export class InvitationEntity extends UuidEntity {
  /** The inviting person (host). */
  @Column({ name: 'person_id', type: 'uuid' })
  personId!: string;

  @Column({ name: 'first_name', type: 'text' })
  firstName!: string;

  @Column({ name: 'last_name', type: 'text', nullable: true })
  lastName!: string | null;

  @Column({ type: 'text' })
  email!: string;

  @Column({ name: 'mobile_enc', type: 'text', nullable: true, transformer: encryptedText })
  mobile!: string | null;

  @Column({ name: 'start_at', type: 'timestamptz' })
  startAt!: Date;

  @Column({ name: 'end_at', type: 'timestamptz' })
  endAt!: Date;

  @Column({ type: 'text', nullable: true })
  reason!: string | null;

  @Column({ name: 'visitor_count', type: 'integer', default: 1 })
  visitorCount!: number;

  @Column({ type: 'text', nullable: true })
  remarks!: string | null;

  /** SHA-256 hex of the QR token; the token itself is only in the email. */
  @Column({ name: 'qr_token_hash', type: 'text', unique: true })
  qrTokenHash!: string;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt!: Date | null;

  @Column({ type: 'text', default: 'pending' })
  status!: InvitationStatus;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
