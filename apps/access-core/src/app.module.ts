import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';
import type { AccessCoreConfig } from './config/access-core.config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { DomainModule } from './domain/domain.module';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { LockdownModule } from './lockdown/lockdown.module';
import { PeopleDataModule } from './people-data/people-data.module';
import { SystemModule } from './system/system.module';
import { TerminalsModule } from './terminals/terminals.module';
import { AuthModule } from './auth/auth.module';
import { MobileModule } from './mobile/mobile.module';
import { RealtimeModule } from './realtime/realtime.module';
import { UplinkModule } from './uplink/uplink.module';
import { ConsoleModule } from './console/console.module';
import { Clock } from './system/clock';

/** One clock for every module, so tests can move time (StartAccessCoreOptions.clock). */
@Global()
@Module({})
class ClockModule {
  static forRoot(clock: Clock): DynamicModule {
    return { module: ClockModule, providers: [{ provide: Clock, useValue: clock }], exports: [Clock] };
  }
}

@Module({})
export class AppModule {
  static forRoot(config: AccessCoreConfig, logger: Logger, clock: Clock = new Clock()): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config, logger),
        ClockModule.forRoot(clock),
        DatabaseModule,
        DomainModule,
        EventsModule,
        TerminalsModule,
        LockdownModule,
        PeopleDataModule,
        HealthModule,
        SystemModule,
        AuthModule,
        RealtimeModule,
        MobileModule,
        ConsoleModule,
        UplinkModule,
      ],
    };
  }
}
