import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Sql } from '../accounts/sql';
import type { TunnelDirectory, TunnelEntry } from '../tunnel/tunnel-registry';

export const TUNNEL_DIRECTORY = Symbol('TUNNEL_DIRECTORY');

export interface OrgSummary {
  readonly id: string;
  readonly slug: string;
  readonly name: string;
}

export interface ConnectorRow {
  readonly id: string;
  readonly organizationId: string;
  readonly name: string;
  readonly hostname: string | null;
  readonly areaId: string | null;
  readonly keyThumbprint: string;
  readonly createdAt: Date;
  readonly lastSeenAt: Date | null;
  readonly revokedAt: Date | null;
  readonly localAppUrl: string | null;
  readonly localAppUrlPending: boolean;
  readonly agentVersion: string | null;
  /**
   * Why the broker last refused this connector's tunnel, until a later one succeeds:
   * `site-claimed` (its site belongs to another company with an active connector).
   */
  readonly refusal: string | null;
  readonly refusedAt: Date | null;
}

export interface LiveTunnel {
  readonly sessionId: string;
  readonly connectedAt: Date;
  /** Measured by the node that holds the tunnel: null for a tunnel on another node. */
  readonly rttMs: number | null;
  readonly openStreams: number | null;
  /** The broker node that holds the tunnel, when it is not this one (a cluster). */
  readonly node?: string;
}

interface Row {
  id: string;
  organization_id: string;
  name: string;
  hostname: string | null;
  area_id: string | null;
  key_thumbprint: string;
  created_at: Date;
  last_seen_at: Date | null;
  revoked_at: Date | null;
  local_app_url: string | null;
  local_app_url_pending: boolean;
  agent_version: string | null;
  refusal: string | null;
  refused_at: Date | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const toRow = (r: Row): ConnectorRow => ({
  id: r.id,
  organizationId: r.organization_id,
  name: r.name,
  hostname: r.hostname,
  areaId: r.area_id,
  keyThumbprint: r.key_thumbprint,
  createdAt: new Date(r.created_at),
  lastSeenAt: r.last_seen_at ? new Date(r.last_seen_at) : null,
  revokedAt: r.revoked_at ? new Date(r.revoked_at) : null,
  localAppUrl: r.local_app_url,
  localAppUrlPending: r.local_app_url_pending,
  agentVersion: r.agent_version,
  refusal: r.refusal,
  refusedAt: r.refused_at ? new Date(r.refused_at) : null,
});

const COLUMNS = `"id", "organization_id", "name", "hostname", "area_id", "key_thumbprint", "created_at",
  "last_seen_at", "revoked_at", "local_app_url", "local_app_url_pending", "agent_version", "refusal", "refused_at"`;

/** Organisations and connectors as the portal sees them: database rows plus this node's live tunnels. */
@Injectable()
export class PortalDirectory {
  private readonly sql: Sql;

  constructor(
    dataSource: DataSource,
    @Inject(TUNNEL_DIRECTORY) private readonly registry: TunnelDirectory,
  ) {
    this.sql = new Sql(dataSource);
  }

  async organization(orgId: string): Promise<OrgSummary | undefined> {
    if (!UUID.test(orgId)) return undefined;
    return this.sql.one<OrgSummary>(`SELECT "id", "slug", "name" FROM ${this.sql.t('organization')} WHERE "id" = $1`, [
      orgId,
    ]);
  }

  async activeConnectorIds(orgId: string): Promise<string[]> {
    const rows = await this.sql.rows<{ id: string }>(
      `SELECT "id" FROM ${this.sql.t('connector')} WHERE "organization_id" = $1 AND "revoked_at" IS NULL`,
      [orgId],
    );
    return rows.map((r) => r.id);
  }

  async connectors(orgId: string): Promise<ConnectorRow[]> {
    const rows = await this.sql.rows<Row>(
      `SELECT ${COLUMNS} FROM ${this.sql.t('connector')} WHERE "organization_id" = $1
       ORDER BY "revoked_at" IS NOT NULL, "created_at" DESC`,
      [orgId],
    );
    return rows.map(toRow);
  }

  /** The connector only when it belongs to `orgId` (anything else is simply not found). */
  async connector(orgId: string, connectorId: string): Promise<ConnectorRow | undefined> {
    if (!UUID.test(connectorId)) return undefined;
    const r = await this.sql.one<Row>(
      `SELECT ${COLUMNS} FROM ${this.sql.t('connector')} WHERE "id" = $1 AND "organization_id" = $2`,
      [connectorId, orgId],
    );
    return r ? toRow(r) : undefined;
  }

  async connectorById(connectorId: string): Promise<ConnectorRow | undefined> {
    if (!UUID.test(connectorId)) return undefined;
    const r = await this.sql.one<Row>(`SELECT ${COLUMNS} FROM ${this.sql.t('connector')} WHERE "id" = $1`, [
      connectorId,
    ]);
    return r ? toRow(r) : undefined;
  }

  /** Revokes; true when this call did it (false: unknown, foreign or already revoked). */
  async revoke(orgId: string, connectorId: string): Promise<boolean> {
    const rows = await this.sql.rows<{ id: string }>(
      `UPDATE ${this.sql.t('connector')} SET "revoked_at" = now()
       WHERE "id" = $1 AND "organization_id" = $2 AND "revoked_at" IS NULL RETURNING "id"`,
      [connectorId, orgId],
    );
    return rows.length === 1;
  }

  /** Renames an active connector of `orgId`; false when there is none (unknown, foreign, deactivated). */
  async rename(orgId: string, connectorId: string, name: string): Promise<boolean> {
    if (!UUID.test(connectorId)) return false;
    const rows = await this.sql.rows<{ id: string }>(
      `UPDATE ${this.sql.t('connector')} SET "name" = $3
       WHERE "id" = $1 AND "organization_id" = $2 AND "revoked_at" IS NULL RETURNING "id"`,
      [connectorId, orgId, name],
    );
    return rows.length === 1;
  }

  async setLocalAppUrl(connectorId: string, url: string, pending: boolean): Promise<void> {
    await this.sql.rows(
      `UPDATE ${this.sql.t('connector')} SET "local_app_url" = $2, "local_app_url_pending" = $3 WHERE "id" = $1`,
      [connectorId, url, pending],
    );
  }

  async setAgentInfo(connectorId: string, agentVersion: string, localAppUrl: string | undefined): Promise<void> {
    await this.sql.rows(
      `UPDATE ${this.sql.t('connector')} SET "agent_version" = $2,
         "local_app_url" = CASE WHEN "local_app_url_pending" OR $3::text IS NULL THEN "local_app_url" ELSE $3 END
       WHERE "id" = $1`,
      [connectorId, agentVersion.slice(0, 64), localAppUrl ?? null],
    );
  }

  /** This node's live tunnel of the connector. */
  entry(connectorId: string): TunnelEntry | undefined {
    return this.registry.get(connectorId);
  }

  isOnline(connectorId: string): boolean {
    return this.registry.get(connectorId)?.session.state === 'open';
  }

  /** True when any of the connectors has an open tunnel, on this node or (a cluster) another. */
  async anyOnline(connectorIds: readonly string[]): Promise<boolean> {
    if (connectorIds.some((id) => this.isOnline(id))) return true;
    const remote = await Promise.all(connectorIds.map((id) => this.registry.elsewhere(id)));
    return remote.some((r) => r !== undefined);
  }

  /** The connector's open tunnel on this node, or else on another node of the cluster. */
  async liveAnywhere(connectorId: string): Promise<LiveTunnel | undefined> {
    const here = this.live(connectorId);
    if (here) return here;
    const r = await this.registry.elsewhere(connectorId);
    return r && { sessionId: r.sessionId, connectedAt: r.connectedAt, rttMs: null, openStreams: null, node: r.node };
  }

  /** Closes the revoked connector's tunnel with REVOKED, on whichever node holds it. */
  closeRevoked(connectorId: string, reason: string): void {
    this.registry.revokeEverywhere(connectorId, reason);
  }

  live(connectorId: string): LiveTunnel | undefined {
    const e = this.registry.get(connectorId);
    if (!e || e.session.state !== 'open') return undefined;
    return {
      sessionId: e.sessionId,
      connectedAt: e.connectedAt,
      rttMs: e.session.stats.rttMs ?? null,
      openStreams: e.session.stats.openStreams,
    };
  }
}
