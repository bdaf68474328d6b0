import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';
import type { AccessCoreConfig } from '../config/access-core.config';
import { ACCESS_CORE_CONFIG, ROOT_LOGGER } from '../config/config.tokens';
import { SiteSettingRepository } from '../database/site-setting.repository';
import { ACCESS_CORE_VERSION } from '../version';
import { Clock } from './clock';
import type { SiteNameChanged, SystemInfo } from './system-info';

export const SITE_NAME_KEY = 'site.name';

@Injectable()
export class SystemService implements OnModuleInit {
  private readonly logger: Logger;

  constructor(
    @Inject(ACCESS_CORE_CONFIG) private readonly config: AccessCoreConfig,
    @Inject(ROOT_LOGGER) rootLogger: Logger,
    private readonly settings: SiteSettingRepository,
    private readonly clock: Clock,
  ) {
    this.logger = rootLogger.child({ component: 'system' });
  }

  /** SITE_NAME only seeds the first boot; afterwards the stored name (set over the API) wins. */
  async onModuleInit(): Promise<void> {
    if (await this.settings.insertIfAbsent(SITE_NAME_KEY, this.config.SITE_NAME)) {
      this.logger.info({ siteName: this.config.SITE_NAME }, 'site name seeded from configuration');
    }
  }

  async info(requestId: string): Promise<SystemInfo> {
    return {
      name: await this.siteName(),
      product: 'access-core',
      version: ACCESS_CORE_VERSION,
      time: this.clock.now().toISOString(),
      requestId,
    };
  }

  async rename(name: string, requestId: string): Promise<SiteNameChanged> {
    const previous = await this.siteName();
    const saved = await this.settings.set(SITE_NAME_KEY, name);
    this.logger.info({ requestId, from: previous, to: name }, 'site renamed');
    return { name, updatedAt: saved.updatedAt.toISOString() };
  }

  private async siteName(): Promise<string> {
    const row = await this.settings.get(SITE_NAME_KEY);
    if (row === undefined) return this.config.SITE_NAME;
    if (typeof row.value !== 'string') {
      throw new Error(`site_setting ${SITE_NAME_KEY} holds a ${typeof row.value}, expected a string`);
    }
    return row.value;
  }
}
