import { Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';
import type { AccessCoreConfig } from './config/access-core.config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { SystemModule } from './system/system.module';

@Module({})
export class AppModule {
  static forRoot(config: AccessCoreConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [ConfigModule.forRoot(config, logger), DatabaseModule, HealthModule, SystemModule],
    };
  }
}
