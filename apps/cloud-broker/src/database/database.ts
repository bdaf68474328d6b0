import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Logger } from '@lanbridge/logging';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { PGliteDriver } from 'typeorm-pglite';
import type { BrokerConfig } from '../config/broker.config';
import { ConnectorEntity } from './connector.entity';
import { InitialSchema1763900000000 } from './migrations/1763900000000-initial-schema';
import { AccountsOauth1764000000000 } from './migrations/1764000000000-accounts-oauth';
import { OrganizationEntity } from './organization.entity';
import { PortalSchema1764100000000 } from '../connector-admin/migrations/1764100000000-portal-schema';
import { SiteTrust1764200000000 } from './migrations/1764200000000-site-trust';
import { CloudData1764300000000 } from '../cloud-data/migrations/1764300000000-cloud-data';
import { OneSiteOneCompany1764400000000 } from './migrations/1764400000000-one-site-one-company';

type PostgresConnectionOptions = Extract<DataSourceOptions, { type: 'postgres' }>;

/** Any fixed 64-bit number: brokers of one cluster take turns migrating. */
const MIGRATION_LOCK_KEY = 7_351_942_886;

function dataSourceOptions(config: BrokerConfig): DataSourceOptions {
  const common: PostgresConnectionOptions = {
    type: 'postgres',
    schema: config.database.schema,
    entities: [OrganizationEntity, ConnectorEntity],
    migrations: [
      InitialSchema1763900000000,
      AccountsOauth1764000000000,
      PortalSchema1764100000000,
      SiteTrust1764200000000,
      CloudData1764300000000,
      OneSiteOneCompany1764400000000,
    ],
    migrationsRun: false,
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    // gen_random_uuid() is built into PostgreSQL 13+ (and PGlite), so TypeORM uses it and
    // needs no extension; PGlite ships no uuid-ossp.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    applicationName: `lanbridge-broker:${config.nodeId}`,
  };
  if (config.database.kind === 'postgres') {
    return { ...common, url: config.database.url, poolSize: 10 };
  }
  const dataDir = resolve(config.database.dataDir);
  mkdirSync(dataDir, { recursive: true });
  // typeorm-pglite plugs PGlite in as the `pg` module of TypeORM's postgres driver.
  return { ...common, driver: new PGliteDriver({ dataDir }).driver };
}

/** Connects, creates the schema if needed and runs pending migrations. */
export async function openDatabase(config: BrokerConfig, logger: Logger): Promise<DataSource> {
  const log = logger.child({ component: 'database' });
  const ds = new DataSource(dataSourceOptions(config));
  await ds.initialize();
  try {
    const q = ds.createQueryRunner();
    try {
      const clustered = config.database.kind === 'postgres';
      if (clustered) await q.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      try {
        await q.query(`CREATE SCHEMA IF NOT EXISTS "${config.database.schema}"`);
        const ran = await ds.runMigrations({ transaction: 'each' });
        if (ran.length > 0) log.info({ migrations: ran.map((m) => m.name) }, 'migrations applied');
      } finally {
        if (clustered) await q.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
      }
    } finally {
      await q.release();
    }
  } catch (err) {
    await ds.destroy();
    throw err;
  }
  log.info({ kind: config.database.kind, schema: config.database.schema }, 'database ready');
  return ds;
}
