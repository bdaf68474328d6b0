import type { DataSource, EntityTarget, ObjectLiteral, Repository } from 'typeorm';

/**
 * Base of the domain repositories: `orm` is the TypeORM repository for ad-hoc list queries
 * (filters, pagination); the subclasses add the named operations other modules rely on.
 */
export abstract class OrmRepository<T extends ObjectLiteral> {
  readonly orm: Repository<T>;

  protected constructor(
    protected readonly dataSource: DataSource,
    target: EntityTarget<T>,
  ) {
    this.orm = dataSource.getRepository(target);
  }

  /** `"schema"."table"` (or `"table"`) for raw SQL. */
  protected get table(): string {
    const { schema, tableName } = this.orm.metadata;
    return schema ? `"${schema}"."${tableName}"` : `"${tableName}"`;
  }
}
