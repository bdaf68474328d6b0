import { Module, type DynamicModule } from '@nestjs/common';
import { StatusController } from './status/status.controller';
import { LOCAL_APP_URL, StatusService, TUNNEL_CLIENT } from './status/status.service';
import type { TunnelClient } from './tunnel/tunnel-client';

@Module({})
export class AppModule {
  /** The tunnel client is built outside Nest (it also runs standalone), then handed in. */
  static forRoot(deps: { client: TunnelClient; localAppUrl: string }): DynamicModule {
    return {
      module: AppModule,
      controllers: [StatusController],
      providers: [
        StatusService,
        { provide: TUNNEL_CLIENT, useValue: deps.client },
        { provide: LOCAL_APP_URL, useValue: deps.localAppUrl },
      ],
    };
  }
}
