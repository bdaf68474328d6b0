import { Inject, Injectable } from '@nestjs/common';
import type { TunnelClient, TunnelClientStatus } from '../tunnel/tunnel-client';

export const TUNNEL_CLIENT = Symbol('TUNNEL_CLIENT');
export const LOCAL_APP_URL = Symbol('LOCAL_APP_URL');

export interface ConnectorStatusView extends TunnelClientStatus {
  readonly online: boolean;
  readonly localAppUrl: string;
}

@Injectable()
export class StatusService {
  constructor(
    @Inject(TUNNEL_CLIENT) private readonly client: TunnelClient,
    @Inject(LOCAL_APP_URL) private readonly localAppUrl: string,
  ) {}

  status(): ConnectorStatusView {
    const s = this.client.status();
    return { ...s, online: s.state === 'online', localAppUrl: this.localAppUrl };
  }
}
