import { Column, Entity, PrimaryColumn } from 'typeorm';
import { UuidEntity } from './uuid-entity';

/** Day keys of a time zone: Sunday..Saturday, then the three holiday types (docs/push-protocol.md §3.2). */
export const TIME_ZONE_DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Hol1', 'Hol2', 'Hol3'] as const;
export type TimeZoneDay = (typeof TIME_ZONE_DAYS)[number];

/** One interval, `HH:MM`–`HH:MM` (end inclusive, `23:59` = end of day). */
export interface TimeSlot {
  readonly start: string;
  readonly end: string;
}

/** Up to three slots per day; a missing day means no access that day. */
export type TimeZoneSlots = Partial<Record<TimeZoneDay, readonly TimeSlot[]>>;

/** A weekly schedule, pushed to terminals as `timezone` rows keyed by `deviceTzId` (1 = 24 h). */
@Entity({ name: 'time_zone' })
export class TimeZoneEntity extends UuidEntity {
  @Column({ name: 'device_tz_id', type: 'integer', unique: true })
  deviceTzId!: number;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'jsonb' })
  slots!: TimeZoneSlots;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}

/** Doors + a time zone; people get access through their levels. No time zone = 24 h. */
@Entity({ name: 'access_level' })
export class AccessLevelEntity extends UuidEntity {
  @Column({ type: 'text', unique: true })
  name!: string;

  @Column({ name: 'time_zone_id', type: 'uuid', nullable: true })
  timeZoneId!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}

@Entity({ name: 'access_level_door' })
export class AccessLevelDoorEntity {
  @PrimaryColumn({ name: 'access_level_id', type: 'uuid' })
  accessLevelId!: string;

  @PrimaryColumn({ name: 'door_id', type: 'uuid' })
  doorId!: string;
}

@Entity({ name: 'level_person' })
export class LevelPersonEntity {
  @PrimaryColumn({ name: 'access_level_id', type: 'uuid' })
  accessLevelId!: string;

  @PrimaryColumn({ name: 'person_id', type: 'uuid' })
  personId!: string;
}
