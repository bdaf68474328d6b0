import { Module, type DynamicModule } from '@nestjs/common';
import { ActivationService } from './activation/activation.service';
import { ConnectorRuntime } from './activation/connector-runtime';
import { StatusController } from './status/status.controller';
import { LOCAL_APP_URL, StatusService, TUNNEL_CLIENT } from './status/status.service';
import { ConnectorWebController, DEFAULT_LOCAL_APP_URL } from './web/connector-web.controller';

@Module({})
export class AppModule {
  /** The runtime (tunnel client, forwarder, activation state) is built outside Nest, then handed in. */
  static forRoot(deps: {
    runtime: ConnectorRuntime;
    activation: ActivationService;
    defaultLocalAppUrl: string;
  }): DynamicModule {
    return {
      module: AppModule,
      controllers: [StatusController, ConnectorWebController],
      providers: [
        StatusService,
        { provide: TUNNEL_CLIENT, useValue: deps.runtime },
        { provide: LOCAL_APP_URL, useValue: () => deps.runtime.localAppUrl },
        { provide: ConnectorRuntime, useValue: deps.runtime },
        { provide: ActivationService, useValue: deps.activation },
        { provide: DEFAULT_LOCAL_APP_URL, useValue: deps.defaultLocalAppUrl },
      ],
    };
  }
}
