import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Logger } from '@lanbridge/logging';
import type { AccessCoreConfig } from '../config/access-core.config';
import { ACCESS_CORE_CONFIG, ROOT_LOGGER } from '../config/config.tokens';
import { DatabaseProbe } from './database.probe';
import { openDatabase } from './data-source.factory';
import { SiteSettingRepository } from './site-setting.repository';

@Injectable()
class DatabaseCloser implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

@Global()
@Module({
  providers: [
    {
      provide: DataSource,
      inject: [ACCESS_CORE_CONFIG, ROOT_LOGGER],
      useFactory: (config: AccessCoreConfig, logger: Logger) =>
        openDatabase(config, logger.child({ component: 'database' })),
    },
    DatabaseCloser,
    DatabaseProbe,
    SiteSettingRepository,
  ],
  exports: [DataSource, DatabaseProbe, SiteSettingRepository],
})
export class DatabaseModule {}
