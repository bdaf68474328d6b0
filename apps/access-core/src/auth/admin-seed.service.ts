import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';
import type { AccessCoreConfig } from '../config/access-core.config';
import { ACCESS_CORE_CONFIG, ROOT_LOGGER } from '../config/config.tokens';
import { OperatorRepository } from '../domain/operator.repository';
import { PasswordHasher } from '@lanbridge/passwords';

export const SEED_ADMIN_USERNAME = 'admin';
/** Used only outside production when ACCESS_CORE_ADMIN_PASSWORD is not set. */
export const DEV_ADMIN_PASSWORD = 'admin-admin';

/**
 * First boot: with no operator at all, create `admin` so someone can sign in. Production
 * refuses to invent a password.
 */
@Injectable()
export class AdminSeedService implements OnModuleInit {
  private readonly logger: Logger;

  constructor(
    @Inject(ACCESS_CORE_CONFIG) private readonly config: AccessCoreConfig,
    @Inject(ROOT_LOGGER) root: Logger,
    private readonly operators: OperatorRepository,
    private readonly hasher: PasswordHasher,
  ) {
    this.logger = root.child({ component: 'admin-seed' });
  }

  async onModuleInit(): Promise<void> {
    if ((await this.operators.orm.count()) > 0) return;
    let password = this.config.ACCESS_CORE_ADMIN_PASSWORD;
    if (password === undefined) {
      if (this.config.NODE_ENV === 'production') {
        throw new Error(
          'no operator exists yet: set ACCESS_CORE_ADMIN_PASSWORD to create the first administrator (`admin`)',
        );
      }
      password = DEV_ADMIN_PASSWORD;
      this.logger.warn({ username: SEED_ADMIN_USERNAME }, `seeding the first operator with the development password`);
    }
    const inserted = await this.operators.orm
      .createQueryBuilder()
      .insert()
      .values({ username: SEED_ADMIN_USERNAME, passwordHash: await this.hasher.hash(password), name: 'Administrator' })
      .orIgnore()
      .execute();
    if (Array.isArray(inserted.identifiers) && inserted.identifiers.some((i) => i !== undefined)) {
      this.logger.info({ username: SEED_ADMIN_USERNAME }, 'first operator created');
    }
  }
}
