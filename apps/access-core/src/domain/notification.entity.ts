import { Column, Entity } from 'typeorm';
import { UuidEntity } from './uuid-entity';

/** A message for one person (personnel app) or one operator; exactly one recipient is set. */
@Entity({ name: 'notification' })
export class NotificationEntity extends UuidEntity {
  @Column({ name: 'recipient_person_id', type: 'uuid', nullable: true })
  recipientPersonId!: string | null;

  @Column({ name: 'recipient_operator_id', type: 'uuid', nullable: true })
  recipientOperatorId!: string | null;

  /** Free-form kind, e.g. `event`, `alarm`, `invitation`. */
  @Column({ type: 'text' })
  kind!: string;

  @Column({ name: 'event_id', type: 'uuid', nullable: true })
  eventId!: string | null;

  @Column({ type: 'text' })
  title!: string;

  @Column({ type: 'text', default: '' })
  body!: string;

  @Column({ name: 'read_at', type: 'timestamptz', nullable: true })
  readAt!: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
