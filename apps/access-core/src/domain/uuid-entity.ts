import { randomUUID } from 'node:crypto';
import { BeforeInsert, PrimaryColumn } from 'typeorm';

/**
 * Base of entities with a UUID key. Not `@PrimaryGeneratedColumn('uuid')`: that makes TypeORM
 * run `CREATE EXTENSION pgcrypto` at start-up, which embedded PGlite lacks (and its driver then
 * leaks an unhandled rejection that kills the process). Ids are made here on save(), and by the
 * column default `gen_random_uuid()` (built into PostgreSQL ≥ 13 and PGlite) for query-builder inserts.
 */
export abstract class UuidEntity {
  @PrimaryColumn({ type: 'uuid', default: () => 'gen_random_uuid()' })
  id!: string;

  @BeforeInsert()
  protected assignId(): void {
    if (!this.id) this.id = randomUUID();
  }
}
