import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';
import { DataSource } from 'typeorm';
import { Sql } from '../accounts/sql';
import { BROKER_CONFIG, BROKER_LOGGER, type BrokerConfig } from '../config/broker.config';
import { generateVapidKeys, type VapidKeys, vapidKeyProblem } from './vapid-keys';

/**
 * The VAPID key pair: from PUSH_VAPID_* when set, else the one stored in the database, made by
 * the first broker that started (every replica then signs with the same key, which is what
 * browsers bound their subscriptions to).
 */
@Injectable()
export class VapidKeyService implements OnModuleInit {
  private current: VapidKeys | undefined;
  private readonly sql: Sql;
  private readonly log: Logger;

  constructor(
    dataSource: DataSource,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    @Inject(BROKER_LOGGER) logger: Logger,
  ) {
    this.sql = new Sql(dataSource);
    this.log = logger.child({ component: 'vapid' });
  }

  async onModuleInit(): Promise<void> {
    this.current = this.config.push.vapidKeys ?? (await this.stored());
  }

  keys(): VapidKeys {
    if (!this.current) throw new Error('VAPID keys are not loaded yet');
    return this.current;
  }

  private async stored(): Promise<VapidKeys> {
    const fresh = generateVapidKeys();
    const inserted = await this.sql.rows<{ id: number }>(
      `INSERT INTO ${this.sql.t('push_vapid_key')} ("id", "public_key", "private_key") VALUES (1, $1, $2)
       ON CONFLICT ("id") DO NOTHING RETURNING "id"`,
      [fresh.publicKey, fresh.privateKey],
    );
    const row = await this.sql.one<{ public_key: string; private_key: string }>(
      `SELECT "public_key", "private_key" FROM ${this.sql.t('push_vapid_key')} WHERE "id" = 1`,
    );
    if (!row) throw new Error('push_vapid_key has no row after insert');
    const keys = { publicKey: row.public_key, privateKey: row.private_key };
    const problem = vapidKeyProblem(keys);
    if (problem) throw new Error(`stored VAPID key is unusable: ${problem}`);
    if (inserted.length > 0) this.log.info({ publicKey: keys.publicKey }, 'VAPID key pair created and stored');
    return keys;
  }
}
