import { Inject, Injectable } from '@nestjs/common';
import type { TunnelClientStatus } from '../tunnel/tunnel-client';

/** Provides the tunnel status (the running connector; no tunnel before activation). */
export const TUNNEL_CLIENT = Symbol('TUNNEL_CLIENT');
/** A `() => string` giving the current local application URL (it can change at run time). */
export const LOCAL_APP_URL = Symbol('LOCAL_APP_URL');

export interface TunnelStatusSource {
  status(): TunnelClientStatus;
}

export interface ConnectorStatusView extends TunnelClientStatus {
  readonly online: boolean;
  readonly localAppUrl: string;
}

@Injectable()
export class StatusService {
  constructor(
    @Inject(TUNNEL_CLIENT) private readonly client: TunnelStatusSource,
    @Inject(LOCAL_APP_URL) private readonly localAppUrl: () => string,
  ) {}

  status(): ConnectorStatusView {
    const s = this.client.status();
    return { ...s, online: s.state === 'online', localAppUrl: this.localAppUrl() };
  }
}
