import { Column, Entity } from 'typeorm';
import { UuidEntity } from './uuid-entity';

/** A place (site, building, floor); areas nest through `parentId`. Devices belong to one area. */
@Entity({ name: 'area' })
export class AreaEntity extends UuidEntity {
  @Column({ type: 'text' })
  name!: string;

  @Column({ name: 'parent_id', type: 'uuid', nullable: true })
  parentId!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
