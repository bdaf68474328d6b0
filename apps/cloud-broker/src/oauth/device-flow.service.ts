import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';
import { DataSource } from 'typeorm';
import { AccountsError, AccountsErrorCode } from '../accounts/accounts-error';
import { formatUserCode, hashToken, normalizeUserCode, randomToken, randomUserCode } from '../accounts/secrets';
import { isUniqueViolation, Sql } from '../accounts/sql';
import { AreasService } from '../areas/areas.service';
import { AuditService, type RequestMeta } from '../audit/audit.service';
import { CompaniesService } from '../companies/companies.service';
import { BROKER_CONFIG, BROKER_LOGGER, type BrokerConfig } from '../config/broker.config';
import { parseConnectorKey } from '../connectors/connector-key';
import { activationSite, SITE_ALREADY_CONNECTED_MESSAGE } from '../site-trust/activation-site';
import { siteHolder } from '../site-trust/site-trust.repository';
import type { OAuthClient } from './oauth-clients';
import { tokenError } from './oauth-error';
import { OAuthTokenService } from './oauth-token.service';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const HOSTNAME = /^[\p{L}\p{N}][\p{L}\p{N}._ -]{0,99}$/u;
/** Network jitter allowance between a client's sleep and our clock. */
const POLL_TOLERANCE_MS = 100;

export interface DeviceAuthorizationResponse {
  readonly device_code: string;
  readonly user_code: string;
  readonly verification_uri: string;
  readonly expires_in: number;
  readonly interval: number;
}

/** What the approval page shows (RFC 8628 §5.4: the user checks the device before approving). */
export interface PendingDevice {
  readonly userCode: string;
  readonly hostname: string;
  /** SHA-256 JWK thumbprint of the connector's public key. */
  readonly keyFingerprint: string;
  readonly requesterIp: string | null;
  readonly requesterUserAgent: string | null;
  readonly areaId: string;
  readonly areaName: string;
  readonly expiresAt: string;
}

export interface ActivationResult {
  readonly connectorId: string;
  readonly organizationId: string;
  readonly organizationName: string;
}

interface DeviceRow {
  id: string;
  client_id: string;
  user_code: string;
  scope: string;
  public_key: string;
  key_thumbprint: string;
  hostname: string;
  area_id: string;
  requester_ip: string | null;
  requester_user_agent: string | null;
  interval_s: number;
  last_polled_at: Date | null;
  expires_at: Date;
  status: 'pending' | 'approved' | 'denied' | 'consumed';
  decided_by: string | null;
  organization_id: string | null;
  connector_id: string | null;
  /** The key of the site the connector reaches, from the hello it sent (when it sent one). */
  site_key_thumbprint: string | null;
}

export type DevicePollResult = {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly scope: string;
  readonly connector_id: string;
  readonly organization_id: string;
  readonly organization_slug: string;
  readonly organization_name: string;
  readonly area: string;
  readonly broker_url: string;
};

/** Reads `public_key` as SPKI PEM or as an OKP JWK (JSON). */
function publicKeyPem(input: string): string {
  const trimmed = input.trim();
  if (!trimmed.startsWith('{')) return trimmed;
  let jwk: JsonWebKey;
  try {
    jwk = JSON.parse(trimmed) as JsonWebKey;
    return createPublicKey({ key: jwk, format: 'jwk' }).export({ format: 'pem', type: 'spki' }).toString();
  } catch {
    return trimmed;
  }
}

/**
 * RFC 8628 device authorization, used to activate connectors: the connector asks with its
 * Ed25519 public key and hostname, a signed-in user approves it into one of their companies,
 * and the connector's next poll learns its connector id.
 */
@Injectable()
export class DeviceFlowService {
  private readonly sql: Sql;
  private readonly cfg: BrokerConfig['accounts'];
  private readonly publicUrl: string;
  private readonly log: Logger;

  constructor(
    dataSource: DataSource,
    private readonly tokens: OAuthTokenService,
    private readonly companies: CompaniesService,
    private readonly areas: AreasService,
    private readonly audit: AuditService,
    @Inject(BROKER_CONFIG) config: BrokerConfig,
    @Inject(BROKER_LOGGER) logger: Logger,
  ) {
    this.sql = new Sql(dataSource);
    this.cfg = config.accounts;
    this.publicUrl = config.publicUrl;
    this.log = logger.child({ component: 'device-flow' });
  }

  /** Throws a TokenError (invalid_request / invalid_scope / unauthorized_client) on bad input. */
  async start(
    client: OAuthClient,
    p: { publicKey: unknown; hostname: unknown; area: unknown; scope: unknown; siteHello?: unknown },
    meta: RequestMeta,
  ): Promise<DeviceAuthorizationResponse> {
    if (!client.grants.includes('device_code'))
      throw tokenError('unauthorized_client', 'this client may not use the device flow');
    if (typeof p.publicKey !== 'string' || p.publicKey.length > 4096)
      throw tokenError('invalid_request', 'public_key is required (Ed25519 SPKI PEM or JWK)');
    if (typeof p.hostname !== 'string' || !HOSTNAME.test(p.hostname)) {
      throw tokenError('invalid_request', 'hostname is required: 1-100 letters, digits, dots, dashes, spaces');
    }
    if (
      p.scope !== undefined &&
      (typeof p.scope !== 'string' || p.scope.split(' ').some((s) => !client.scopes.includes(s)))
    ) {
      throw tokenError('invalid_scope', `scope must be ${client.scopes.join(' ')}`);
    }
    if (p.area !== undefined && (typeof p.area !== 'string' || !this.areas.find(p.area)))
      throw tokenError('invalid_request', 'unknown area');
    const area = typeof p.area === 'string' ? p.area : this.areas.defaultArea().id;
    const site = activationSite(p.siteHello);
    if (site === 'invalid')
      throw tokenError('invalid_request', 'site_hello must be a current hello of the site (a JWS signed by its key)');
    let key;
    try {
      key = parseConnectorKey(publicKeyPem(p.publicKey));
    } catch {
      throw tokenError('invalid_request', 'public_key must be an Ed25519 public key (SPKI PEM or OKP JWK)');
    }
    const deviceCode = randomToken('lbd_');
    for (let attempt = 0; ; attempt++) {
      const userCode = randomUserCode();
      try {
        await this.sql.rows(
          `INSERT INTO ${this.sql.t('device_authorization')}
             ("device_code_hash", "user_code", "client_id", "scope", "public_key", "key_thumbprint", "hostname", "area_id",
              "requester_ip", "requester_user_agent", "interval_s", "expires_at", "site_key_thumbprint")
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now() + make_interval(secs => $12), $13)`,
          [
            hashToken(deviceCode),
            userCode,
            client.id,
            typeof p.scope === 'string' ? p.scope : (client.scopes[0] ?? 'connector'),
            key.spkiPem,
            key.thumbprint,
            p.hostname,
            area,
            meta.ip,
            meta.userAgent,
            this.cfg.deviceIntervalS,
            this.cfg.deviceCodeTtlS,
            site?.thumbprint ?? null,
          ],
        );
        this.log.info({ hostname: p.hostname, area, thumbprint: key.thumbprint }, 'device authorization started');
        // No verification_uri_complete: a link that carries the code invites phishing (RFC 8628 §5.4).
        return {
          device_code: deviceCode,
          user_code: formatUserCode(userCode),
          verification_uri: `${this.publicUrl}/activate`,
          expires_in: this.cfg.deviceCodeTtlS,
          interval: this.cfg.deviceIntervalS,
        };
      } catch (err) {
        if (!isUniqueViolation(err) || attempt >= 4) throw err;
      }
    }
  }

  /** The pending request behind a typed user code, or 404 DEVICE_CODE_NOT_FOUND. */
  async findPending(userCodeInput: string): Promise<PendingDevice> {
    const row = await this.pendingRow(this.sql, userCodeInput, false);
    const area = this.areas.find(row.area_id);
    return {
      userCode: formatUserCode(row.user_code),
      hostname: row.hostname,
      keyFingerprint: row.key_thumbprint,
      requesterIp: row.requester_ip,
      requesterUserAgent: row.requester_user_agent,
      areaId: row.area_id,
      areaName: area?.name ?? row.area_id,
      expiresAt: new Date(row.expires_at).toISOString(),
    };
  }

  /** Registers the connector's key in the chosen (or a new) company. */
  async approve(
    userId: string,
    userCodeInput: string,
    target: { organizationId: string } | { newCompanyName: string },
    meta: RequestMeta,
  ): Promise<ActivationResult> {
    const result = await this.sql.tx(async (tx) => {
      const row = await this.pendingRow(tx, userCodeInput, true);
      const company =
        'organizationId' in target
          ? (await this.companies.requireMember(userId, target.organizationId, ['owner', 'admin', 'installer'], tx))
              .company
          : await this.companies.create(userId, target.newCompanyName, meta, tx);
      // One site, one company: a connector in front of another company's site is refused here
      // already (the tunnel would be refused anyway, TUNNEL_ERR_SITE_CLAIMED).
      if (row.site_key_thumbprint && (await siteHolder(tx, row.site_key_thumbprint, company.id))) {
        throw new AccountsError(AccountsErrorCode.SITE_ALREADY_CONNECTED, SITE_ALREADY_CONNECTED_MESSAGE);
      }
      const taken = await tx.one<{ id: string }>(`SELECT "id" FROM ${tx.t('connector')} WHERE "key_thumbprint" = $1`, [
        row.key_thumbprint,
      ]);
      if (taken)
        throw new AccountsError(
          AccountsErrorCode.KEY_IN_USE,
          'this connector key is already registered; make a new key',
        );
      const connector = await tx.one<{ id: string }>(
        `INSERT INTO ${tx.t('connector')} ("organization_id", "name", "public_key", "key_thumbprint", "area_id", "hostname", "activated_by")
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING "id"`,
        [company.id, row.hostname, row.public_key, row.key_thumbprint, row.area_id, row.hostname, userId],
      );
      if (!connector) throw new Error('connector insert returned nothing');
      await tx.rows(
        `UPDATE ${tx.t('device_authorization')} SET "status" = 'approved', "decided_by" = $2, "decided_at" = now(),
           "organization_id" = $3, "connector_id" = $4 WHERE "id" = $1`,
        [row.id, userId, company.id, connector.id],
      );
      return { connectorId: connector.id, organizationId: company.id, organizationName: company.name, row };
    });
    await this.audit.record({
      action: 'connector.activated',
      outcome: 'success',
      orgId: result.organizationId,
      actorUserId: userId,
      target: result.connectorId,
      ...meta,
      details: {
        hostname: result.row.hostname,
        area: result.row.area_id,
        keyThumbprint: result.row.key_thumbprint,
        requesterIp: result.row.requester_ip,
      },
    });
    return {
      connectorId: result.connectorId,
      organizationId: result.organizationId,
      organizationName: result.organizationName,
    };
  }

  async deny(userId: string, userCodeInput: string, meta: RequestMeta): Promise<void> {
    const row = await this.sql.tx(async (tx) => {
      const r = await this.pendingRow(tx, userCodeInput, true);
      await tx.rows(
        `UPDATE ${tx.t('device_authorization')} SET "status" = 'denied', "decided_by" = $2, "decided_at" = now() WHERE "id" = $1`,
        [r.id, userId],
      );
      return r;
    });
    await this.audit.record({
      action: 'device.denied',
      outcome: 'success',
      actorUserId: userId,
      target: row.hostname,
      ...meta,
      details: { keyThumbprint: row.key_thumbprint },
    });
  }

  /** The token endpoint's device_code grant; throws TokenError with the RFC 8628 §3.5 codes (HTTP 400). */
  async poll(client: OAuthClient, deviceCode: string): Promise<DevicePollResult> {
    let slowDown = false;
    const out = await this.sql.tx(async (tx) => {
      const row = await tx.one<DeviceRow>(
        `SELECT * FROM ${tx.t('device_authorization')} WHERE "device_code_hash" = $1 FOR UPDATE`,
        [hashToken(deviceCode)],
      );
      if (!row || row.client_id !== client.id) throw tokenError('invalid_grant', 'device_code is invalid');
      if (row.status === 'consumed') throw tokenError('invalid_grant', 'device_code was already used');
      const now = Date.now();
      if (new Date(row.expires_at).getTime() <= now)
        throw tokenError('expired_token', 'device_code expired; start the activation again');
      const last = row.last_polled_at ? new Date(row.last_polled_at).getTime() : undefined;
      // Faster than the announced interval is slow_down. The client then adds 5 s (RFC 8628
      // §3.5), but the required pace stays the announced one: raising it with every slow_down
      // would keep a client that missed one answer (and so added 5 s less) slowed for ever,
      // approval or not.
      if (last !== undefined && now - last < row.interval_s * 1000 - POLL_TOLERANCE_MS) {
        await tx.rows(`UPDATE ${tx.t('device_authorization')} SET "last_polled_at" = $2 WHERE "id" = $1`, [
          row.id,
          new Date(now),
        ]);
        slowDown = true;
        return undefined;
      }
      await tx.rows(`UPDATE ${tx.t('device_authorization')} SET "last_polled_at" = $2 WHERE "id" = $1`, [
        row.id,
        new Date(now),
      ]);
      return row;
    });
    if (slowDown || !out) throw tokenError('slow_down', 'polling too fast; add 5 seconds to the interval');
    if (out.status === 'pending') throw tokenError('authorization_pending', 'waiting for the user to approve');
    if (out.status === 'denied') throw tokenError('access_denied', 'the user denied the activation');
    return this.consume(client, out.id);
  }

  private async consume(client: OAuthClient, id: string): Promise<DevicePollResult> {
    return this.sql.tx(async (tx) => {
      const row = await tx.one<DeviceRow & { slug: string; org_name: string }>(
        `SELECT d.*, o."slug", o."name" AS "org_name" FROM ${tx.t('device_authorization')} d
           JOIN ${tx.t('organization')} o ON o."id" = d."organization_id"
          WHERE d."id" = $1 AND d."status" = 'approved' FOR UPDATE OF d`,
        [id],
      );
      if (!row?.connector_id || !row.organization_id || !row.decided_by)
        throw tokenError('invalid_grant', 'device_code was already used');
      await tx.rows(`UPDATE ${tx.t('device_authorization')} SET "status" = 'consumed' WHERE "id" = $1`, [id]);
      const t = await this.tokens.issueForConnector(client.id, row.decided_by, row.connector_id, row.scope, tx);
      const area = this.areas.find(row.area_id) ?? this.areas.defaultArea();
      return {
        access_token: t.accessToken,
        token_type: 'Bearer' as const,
        expires_in: t.expiresIn,
        scope: t.scope,
        connector_id: row.connector_id,
        organization_id: row.organization_id,
        organization_slug: row.slug,
        organization_name: row.org_name,
        area: area.id,
        broker_url: area.brokerUrl,
      };
    });
  }

  private async pendingRow(sql: Sql, userCodeInput: string, lock: boolean): Promise<DeviceRow> {
    const code = normalizeUserCode(userCodeInput);
    const row = code
      ? await sql.one<DeviceRow>(
          `SELECT * FROM ${sql.t('device_authorization')} WHERE "user_code" = $1 AND "status" = 'pending' AND "expires_at" > now()${lock ? ' FOR UPDATE' : ''}`,
          [code],
        )
      : undefined;
    if (!row)
      throw new AccountsError(
        AccountsErrorCode.DEVICE_CODE_NOT_FOUND,
        'no pending activation with this code (check it, or it expired)',
      );
    return row;
  }
}
