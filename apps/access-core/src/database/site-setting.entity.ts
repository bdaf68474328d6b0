import { Column, Entity, PrimaryColumn } from 'typeorm';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** One row per site-wide setting; `value` is any JSON value. */
@Entity({ name: 'site_setting' })
export class SiteSettingEntity {
  @PrimaryColumn({ type: 'text' })
  key!: string;

  @Column({ type: 'jsonb' })
  // Typed loosely here because TypeORM's deep-partial types cannot expand the recursive
  // JsonValue; the repository exposes JsonValue.
  value!: string | number | boolean | null | object;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
