import { Inject, Injectable } from '@nestjs/common';
import { hashToken, safeEqual } from '../accounts/secrets';
import { BROKER_CONFIG, type BrokerConfig, type OAuthGrant } from '../config/broker.config';

export interface OAuthClient {
  readonly id: string;
  /** Public clients (connector, mobile app) have no secret and must use PKCE. */
  readonly confidential: boolean;
  readonly redirectUris: readonly string[];
  readonly grants: readonly OAuthGrant[];
  /** Scopes it may ask for; the first is the default. */
  readonly scopes: readonly string[];
}

interface StoredClient extends OAuthClient {
  readonly secretHash?: string;
}

export const CONNECTOR_CLIENT_ID = 'lanbridge-connector';
export const APP_CLIENT_ID = 'lanbridge-app';

/** The first-party clients, plus those from OAUTH_CLIENTS. */
@Injectable()
export class OAuthClientRegistry {
  private readonly clients = new Map<string, StoredClient>();

  constructor(@Inject(BROKER_CONFIG) config: BrokerConfig) {
    this.clients.set(CONNECTOR_CLIENT_ID, {
      id: CONNECTOR_CLIENT_ID,
      confidential: false,
      redirectUris: [],
      grants: ['device_code'],
      scopes: ['connector'],
    });
    this.clients.set(APP_CLIENT_ID, {
      id: APP_CLIENT_ID,
      confidential: false,
      redirectUris: ['lanbridge://oauth/callback'],
      grants: ['authorization_code', 'refresh_token'],
      scopes: ['api'],
    });
    for (const c of config.accounts.extraClients) {
      this.clients.set(c.clientId, {
        id: c.clientId,
        confidential: c.clientSecret !== undefined,
        secretHash: c.clientSecret !== undefined ? hashToken(c.clientSecret) : undefined,
        redirectUris: c.redirectUris,
        grants: c.grants,
        scopes: c.grants.includes('device_code') ? ['connector'] : ['api'],
      });
    }
  }

  get(id: string): OAuthClient | undefined {
    return this.clients.get(id);
  }

  /** The confidential client if the secret matches. */
  authenticate(id: string, secret: string): OAuthClient | undefined {
    const c = this.clients.get(id);
    if (!c?.secretHash) return undefined;
    return safeEqual(c.secretHash, hashToken(secret)) ? c : undefined;
  }
}
