import { type DynamicModule, Inject, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { CloudDataModule } from '../cloud-data/cloud-data.module';
import { PushModule } from '../push/push.module';
import type { TunnelEntry } from '../tunnel/tunnel-registry';
import { UplinkStreamHandler } from './uplink-stream.handler';
import { UplinkService } from './uplink.service';

/** `(listener) => void`: tunnels added on this node (ObservedTunnelRegistry.onAdded). */
export const UPLINK_TUNNEL_ADDED = Symbol('UPLINK_TUNNEL_ADDED');
export type UplinkTunnelAddedHook = (listener: (entry: TunnelEntry) => void) => void;

/**
 * Accepts the streams connectors open on their tunnel sessions. The listener is attached when
 * the registry adds a session, which is in the same turn as its creation, before the session
 * replays frames that arrived right behind READY: no connector-opened stream is missed.
 */
@Injectable()
export class UplinkAcceptor implements OnModuleInit {
  constructor(
    private readonly handler: UplinkStreamHandler,
    @Inject(UPLINK_TUNNEL_ADDED) private readonly onTunnelAdded: UplinkTunnelAddedHook,
  ) {}

  onModuleInit(): void {
    this.onTunnelAdded((entry) => {
      entry.session.on('stream', (stream) => this.handler.handle(entry, stream));
    });
  }
}

/** The uplink (docs/mobile-path.md §6): site → connector → broker, into cloud data and push. */
@Module({})
export class UplinkModule {
  static forRoot(deps: { readonly onTunnelAdded: UplinkTunnelAddedHook }): DynamicModule {
    return {
      module: UplinkModule,
      imports: [CloudDataModule, PushModule],
      providers: [
        { provide: UPLINK_TUNNEL_ADDED, useValue: deps.onTunnelAdded },
        UplinkService,
        UplinkStreamHandler,
        UplinkAcceptor,
      ],
    };
  }
}
