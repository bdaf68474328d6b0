import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type Repository } from 'typeorm';
import { SiteSettingEntity, type JsonValue } from './site-setting.entity';

export interface SiteSetting<T extends JsonValue> {
  readonly key: string;
  readonly value: T;
  readonly updatedAt: Date;
}

@Injectable()
export class SiteSettingRepository {
  private readonly repo: Repository<SiteSettingEntity>;

  constructor(@Inject(DataSource) dataSource: DataSource) {
    this.repo = dataSource.getRepository(SiteSettingEntity);
  }

  async get(key: string): Promise<SiteSetting<JsonValue> | undefined> {
    const row = await this.repo.findOneBy({ key });
    return row ? { key: row.key, value: row.value as JsonValue, updatedAt: row.updatedAt } : undefined;
  }

  /** Inserts the value unless the key already exists; returns true when it inserted. */
  async insertIfAbsent(key: string, value: JsonValue): Promise<boolean> {
    const result = await this.repo
      .createQueryBuilder()
      .insert()
      .values({ key, value, updatedAt: () => 'now()' })
      .orIgnore()
      .returning(['key'])
      .execute();
    return Array.isArray(result.raw) && result.raw.length > 0;
  }

  async set(key: string, value: JsonValue): Promise<SiteSetting<JsonValue>> {
    await this.repo
      .createQueryBuilder()
      .insert()
      .values({ key, value, updatedAt: () => 'now()' })
      .orUpdate(['value', 'updated_at'], ['key'])
      .execute();
    const row = await this.get(key);
    if (!row) throw new Error(`site_setting ${key} vanished right after it was written`);
    return row;
  }
}
