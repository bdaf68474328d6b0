import { Injectable } from '@nestjs/common';
import { BrokerError, BrokerErrorCode } from '../common/broker-error';
import { parseConnectorKey } from './connector-key';
import { ConnectorRepository } from './connector.repository';
import type { IngressPolicy } from './ingress-policy';
import { OrganizationRepository } from './organization.repository';

export interface RegisterConnectorInput {
  readonly orgSlug: string;
  /** Used only when the organization is created; defaults to the slug. */
  readonly orgName?: string;
  /** Ed25519 public key, SPKI PEM. */
  readonly publicKeyPem: string;
  readonly name?: string;
  /**
   * Sets the organization's ingress policy (new or existing organization). Absent: a new
   * organization gets the default (`site-session`), an existing one keeps its policy.
   */
  readonly ingressPolicy?: IngressPolicy;
}

export interface RegisteredConnector {
  readonly connectorId: string;
  readonly orgId: string;
  readonly orgSlug: string;
}

/** DNS-label style: it becomes a path segment (`/t/<slug>/...`) and may become a host name. */
const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Registers a connector's public key under an organization (created on first use). Stands in
 * for the activation flow. Idempotent: the same key for the same organization returns the
 * existing connector, so a stack can re-run it on every start.
 */
@Injectable()
export class ConnectorRegistrationService {
  private readonly listeners: ((orgSlug: string) => void)[] = [];

  constructor(
    private readonly orgs: OrganizationRepository,
    private readonly connectors: ConnectorRepository,
  ) {}

  /** Called after every registration (the ingress drops its cached "unknown org" answer). */
  onRegistered(listener: (orgSlug: string) => void): void {
    this.listeners.push(listener);
  }

  async register(input: RegisterConnectorInput): Promise<RegisteredConnector> {
    if (!SLUG.test(input.orgSlug)) {
      throw new BrokerError(
        BrokerErrorCode.INVALID_ORG_SLUG,
        'org slug must be 1-63 lower-case letters, digits or inner hyphens',
      );
    }
    const name = input.name?.trim() || 'connector';
    const orgName = input.orgName?.trim() || input.orgSlug;
    if (name.length > 200 || orgName.length > 200) {
      throw new BrokerError(BrokerErrorCode.INVALID_INPUT, 'names are limited to 200 characters');
    }
    const key = parseConnectorKey(input.publicKeyPem);
    const org = await this.orgs.ensure(input.orgSlug, orgName);

    let connector = await this.connectors.findByThumbprint(key.thumbprint);
    if (!connector) {
      try {
        connector = await this.connectors.create({
          organizationId: org.id,
          name,
          publicKey: key.spkiPem,
          keyThumbprint: key.thumbprint,
        });
      } catch (err) {
        // A concurrent registration of the same key won the unique index; use its row.
        connector = await this.connectors.findByThumbprint(key.thumbprint);
        if (!connector) throw err;
      }
    }
    if (connector.organizationId !== org.id || connector.revokedAt !== null) {
      throw new BrokerError(
        BrokerErrorCode.KEY_IN_USE,
        'this public key is already registered to another organization or was revoked',
      );
    }
    if (input.ingressPolicy !== undefined && input.ingressPolicy !== org.ingressPolicy) {
      await this.orgs.setIngressPolicy(org.id, input.ingressPolicy);
    }
    for (const l of this.listeners) l(org.slug);
    return { connectorId: connector.id, orgId: org.id, orgSlug: org.slug };
  }
}
