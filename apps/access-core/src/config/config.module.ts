import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';
import type { AccessCoreConfig } from './access-core.config';
import { ACCESS_CORE_CONFIG, ROOT_LOGGER } from './config.tokens';

@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AccessCoreConfig, logger: Logger): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        { provide: ACCESS_CORE_CONFIG, useValue: config },
        { provide: ROOT_LOGGER, useValue: logger },
      ],
      exports: [ACCESS_CORE_CONFIG, ROOT_LOGGER],
    };
  }
}
