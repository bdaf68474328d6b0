import fs from 'node:fs';
import path from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { PGliteDriver } from 'typeorm-pglite';
import type { Logger } from '@lanbridge/logging';
import type { AccessCoreConfig } from '../config/access-core.config';
import { cipherFromConfig } from '../crypto/cipher-from-config';
import { installFieldCipher } from '../crypto/field-cipher';
import { DOMAIN_ENTITIES } from '../domain/domain-entities';
import { ACCESS_CORE_MIGRATIONS } from './migrations';
import { SiteSettingEntity } from './site-setting.entity';

export const ACCESS_CORE_ENTITIES = [SiteSettingEntity, ...DOMAIN_ENTITIES];

export type DatabaseKind = 'postgres' | 'pglite';

export function databaseKind(config: AccessCoreConfig): DatabaseKind {
  return config.DATABASE_URL ? 'postgres' : 'pglite';
}

function dataSourceOptions(config: AccessCoreConfig, logger: Logger): DataSourceOptions {
  const common = {
    type: 'postgres' as const,
    schema: config.DATABASE_SCHEMA,
    entities: ACCESS_CORE_ENTITIES,
    migrations: ACCESS_CORE_MIGRATIONS,
    migrationsRun: false,
    synchronize: false,
    logging: false,
    uuidExtension: 'pgcrypto' as const,
    poolErrorHandler: (err: unknown) => logger.warn({ err }, 'database pool error'),
  };
  if (config.DATABASE_URL) {
    return {
      ...common,
      url: config.DATABASE_URL,
      applicationName: 'lanbridge-access-core',
      connectTimeoutMS: 10_000,
      extra: { max: 10 },
    };
  }
  const dataDir = path.resolve(config.ACCESS_CORE_DATA_DIR);
  fs.mkdirSync(dataDir, { recursive: true });
  // typeorm-pglite keeps one PGlite instance per process: only one embedded DataSource may be
  // open at a time in a given process.
  return { ...common, driver: new PGliteDriver({ dataDir }).driver };
}

/**
 * Connects, creates DATABASE_SCHEMA if it is missing and runs pending migrations. On failure
 * the pool is closed before the error propagates, so a failed boot leaves nothing running.
 */
export async function openDatabase(config: AccessCoreConfig, logger: Logger): Promise<DataSource> {
  // Encrypted columns' transformers need the keys before the first row is read.
  installFieldCipher(cipherFromConfig(config));
  if (!config.DATA_ENCRYPTION_KEY)
    logger.warn('DATA_ENCRYPTION_KEY is not set: personal data is sealed with the public development key');
  const dataSource = new DataSource(dataSourceOptions(config, logger));
  await dataSource.initialize();
  try {
    if (config.DATABASE_SCHEMA) {
      await dataSource.query(`CREATE SCHEMA IF NOT EXISTS "${config.DATABASE_SCHEMA}"`);
    }
    const ran = await dataSource.runMigrations({ transaction: 'each' });
    logger.info(
      {
        kind: databaseKind(config),
        schema: config.DATABASE_SCHEMA,
        dataDir: config.DATABASE_URL ? undefined : path.resolve(config.ACCESS_CORE_DATA_DIR),
        migrations: ran.map((m) => m.name),
      },
      'database ready',
    );
    return dataSource;
  } catch (err) {
    await dataSource
      .destroy()
      .catch((closeErr: unknown) => logger.warn({ err: closeErr }, 'closing the database failed'));
    throw err;
  }
}
