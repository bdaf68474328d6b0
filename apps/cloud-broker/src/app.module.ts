import {
  type BeforeApplicationShutdown,
  type DynamicModule,
  Inject,
  Injectable,
  Module,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';
import { DataSource } from 'typeorm';
import { AccountsModule } from './accounts/accounts.module';
import { BROKER_CONFIG, BROKER_LOGGER, type BrokerConfig } from './config/broker.config';
import { HealthController } from './health/health.controller';
import { DRAIN_STATE, type DrainState } from './health/drain-state';
import { MetricsService } from './metrics/metrics.service';
import { MobileAppModule } from './mobile-app/mobile-app.module';
import type { ObservedTunnelRegistry } from './connector-admin/observed-tunnel-registry';
import { PortalModule } from './portal/portal.module';
import { UplinkModule } from './uplink/uplink.module';
import { SiteTrustModule } from './site-trust/site-trust.module';
import { SITE_TRUST_TUNNELS } from './site-trust/site-trust.service';

export const BROKER_LIFECYCLE = Symbol('BROKER_LIFECYCLE');

/** What a shutdown does, whether it comes from a signal (enableShutdownHooks) or close(). */
export interface BrokerLifecycle {
  /** Stop taking work, GOAWAY the tunnels, let in-flight requests finish, stop the server. */
  drain(): Promise<void>;
  /** Release the database and other resources. */
  release(): Promise<void>;
}

@Injectable()
export class BrokerShutdownHooks implements BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(@Inject(BROKER_LIFECYCLE) private readonly lifecycle: BrokerLifecycle) {}

  beforeApplicationShutdown(): Promise<void> {
    return this.lifecycle.drain();
  }

  onApplicationShutdown(): Promise<void> {
    return this.lifecycle.release();
  }
}

export interface AppModuleDeps {
  readonly dataSource: DataSource;
  readonly metrics: MetricsService;
  readonly drainState: DrainState;
  readonly lifecycle: BrokerLifecycle;
  readonly config: BrokerConfig;
  readonly logger: Logger;
  /** This node's live tunnels (the portal shows and acts on them). */
  readonly registry: ObservedTunnelRegistry;
}

/**
 * The Nest side of the broker: operational endpoints (and, later, the portal and activation
 * API). The tunnel endpoint and the ingress live outside Nest; see bootstrap.ts.
 */
@Module({})
export class AppModule {
  static forRoot(deps: AppModuleDeps): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        AccountsModule,
        SiteTrustModule,
        PortalModule.forRoot({
          registry: deps.registry,
          onTunnelAdded: (listener) => deps.registry.onAdded(listener),
          logger: deps.logger,
        }),
        UplinkModule.forRoot({ onTunnelAdded: (listener) => deps.registry.onAdded(listener) }),
        MobileAppModule.forRoot(),
      ],
      controllers: [HealthController],
      providers: [
        { provide: BROKER_CONFIG, useValue: deps.config },
        { provide: BROKER_LOGGER, useValue: deps.logger },
        { provide: DataSource, useValue: deps.dataSource },
        { provide: MetricsService, useValue: deps.metrics },
        { provide: DRAIN_STATE, useValue: deps.drainState },
        { provide: BROKER_LIFECYCLE, useValue: deps.lifecycle },
        { provide: SITE_TRUST_TUNNELS, useValue: deps.registry },
        BrokerShutdownHooks,
      ],
      exports: [DataSource, BROKER_CONFIG, BROKER_LOGGER, SITE_TRUST_TUNNELS],
    };
  }
}
