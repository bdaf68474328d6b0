import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { ControlMessage } from '@lanbridge/tunnel-protocol';
import type { Logger } from '@lanbridge/logging';
import { AuditService, type RequestMeta } from '../audit/audit.service';
import { OrgQrService } from '../org-qr/org-qr.service';
import { SiteTrustService } from '../site-trust/site-trust.service';
import type { TunnelEntry } from '../tunnel/tunnel-registry';
import { type ConnectorRow, type LiveTunnel, PortalDirectory } from './portal-directory';
import { PORTAL_LOGGER, PortalError, PortalErrorCode } from './portal-error';

export { PORTAL_LOGGER };
/** `(listener) => void`: subscribes to tunnels added on this node (ObservedTunnelRegistry.onAdded). */
export const TUNNEL_ADDED = Symbol('TUNNEL_ADDED');
export type TunnelAddedHook = (listener: (entry: TunnelEntry) => void) => void;

export interface ConnectorView extends ConnectorRow {
  readonly online: boolean;
  readonly live: LiveTunnel | undefined;
}

/** Only http:// (LAN application without TLS) or https://, with a host, no credentials. */
export function parseLocalAppUrl(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw.length > 2048) return undefined;
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    return undefined;
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || !u.hostname || u.username || u.password) return undefined;
  if (u.search || u.hash) return undefined;
  return u.toString().replace(/\/+$/, '');
}

/** Longest connector name (characters). */
export const CONNECTOR_NAME_MAX = 100;

/** 1-100 characters once trimmed, no control characters; inner runs of spaces become one. */
export function parseConnectorName(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw.length > CONNECTOR_NAME_MAX * 4) return undefined;
  const name = raw.trim().replace(/\s+/g, ' ');
  // eslint-disable-next-line no-control-regex
  if (name.length === 0 || [...name].length > CONNECTOR_NAME_MAX || /[\u0000-\u001f\u007f-\u009f]/.test(name))
    return undefined;
  return name;
}

/**
 * What an admin does to connectors: list with live status, change the local application's
 * address (pushed over the tunnel), deactivate (key revoked, live tunnel closed with REVOKED).
 * Also the broker's side of the control messages a connector sends when it connects.
 */
@Injectable()
export class ConnectorAdminService implements OnModuleInit {
  private readonly log: Logger;
  /** Per tunnel session, the number of the latest QR computation started for it. */
  private readonly qrSeq = new WeakMap<TunnelEntry['session'], number>();

  constructor(
    private readonly directory: PortalDirectory,
    private readonly orgQr: OrgQrService,
    private readonly audit: AuditService,
    @Inject(TUNNEL_ADDED) private readonly onTunnelAdded: TunnelAddedHook,
    @Inject(PORTAL_LOGGER) logger: Logger,
    private readonly siteTrust: SiteTrustService,
  ) {
    this.log = logger.child({ component: 'connector-admin' });
  }

  onModuleInit(): void {
    this.onTunnelAdded((entry) => this.welcome(entry));
    // A new or changed site key makes the live QR stale: issue one with the new `skt` and push it.
    this.siteTrust.onSiteKeyChanged((orgId) => {
      this.pushOrgQr(orgId).catch((err: unknown) => this.log.warn({ err, orgId }, 'could not push the new QR'));
    });
  }

  async list(orgId: string): Promise<ConnectorView[]> {
    const rows = await this.directory.connectors(orgId);
    return Promise.all(rows.map((r) => this.view(r)));
  }

  async get(orgId: string, connectorId: string): Promise<ConnectorView> {
    const row = await this.directory.connector(orgId, connectorId);
    if (!row) throw new PortalError(PortalErrorCode.CONNECTOR_NOT_FOUND, 'connector not found');
    return this.view(row);
  }

  /** Saves the address and pushes it at once when the connector is online (else at its next connect). */
  async setLocalAppUrl(
    orgId: string,
    connectorId: string,
    raw: unknown,
    actor: { userId: string } & RequestMeta,
  ): Promise<{ pushed: boolean }> {
    const url = parseLocalAppUrl(raw);
    if (!url) throw new PortalError(PortalErrorCode.INVALID_LOCAL_APP_URL, 'server address must be an http(s) URL');
    const c = await this.get(orgId, connectorId);
    if (c.revokedAt) throw new PortalError(PortalErrorCode.CONNECTOR_NOT_FOUND, 'connector is deactivated');
    const pushed = this.send(connectorId, { type: 'config', localAppUrl: url });
    // The tunnel may now reach another site: its key must follow at once, not at the next connect.
    const entry = pushed ? this.directory.entry(connectorId) : undefined;
    if (entry) this.siteTrust.relearn(entry, 'server address pushed from the portal');
    await this.directory.setLocalAppUrl(connectorId, url, !pushed);
    await this.audit.record({
      action: 'connector.config_changed',
      outcome: 'success',
      orgId,
      actorUserId: actor.userId,
      ip: actor.ip,
      userAgent: actor.userAgent,
      target: connectorId,
      details: { localAppUrl: url, pushed },
    });
    return { pushed };
  }

  /** Names the connector as people know it; the host name it reported stays as it is. */
  async rename(
    orgId: string,
    connectorId: string,
    raw: unknown,
    actor: { userId: string } & RequestMeta,
  ): Promise<void> {
    const name = parseConnectorName(raw);
    if (!name)
      throw new PortalError(
        PortalErrorCode.INVALID_CONNECTOR_NAME,
        `a connector name is 1-${CONNECTOR_NAME_MAX} characters without control characters`,
      );
    const before = await this.get(orgId, connectorId);
    if (!(await this.directory.rename(orgId, connectorId, name)))
      throw new PortalError(PortalErrorCode.CONNECTOR_NOT_FOUND, 'connector is deactivated');
    await this.audit.record({
      action: 'connector.renamed',
      outcome: 'success',
      orgId,
      actorUserId: actor.userId,
      ip: actor.ip,
      userAgent: actor.userAgent,
      target: connectorId,
      details: { from: before.name, to: name },
    });
  }

  /** Revokes the key and closes the live tunnel with TUNNEL_ERR_REVOKED, on whichever node holds it. */
  async deactivate(orgId: string, connectorId: string, actor: { userId: string } & RequestMeta): Promise<void> {
    const c = await this.get(orgId, connectorId);
    const revoked = await this.directory.revoke(orgId, connectorId);
    const closedLiveTunnel = c.live !== undefined;
    this.directory.closeRevoked(connectorId, 'connector deactivated');
    if (!revoked && c.revokedAt) return;
    await this.audit.record({
      action: 'connector.deactivated',
      outcome: 'success',
      orgId,
      actorUserId: actor.userId,
      ip: actor.ip,
      userAgent: actor.userAgent,
      target: connectorId,
      details: { name: c.name, hostname: c.hostname, closedLiveTunnel },
    });
    this.log.info({ orgId, connectorId, closedLiveTunnel }, 'connector deactivated');
  }

  /** Sends the current QR to every online connector of the organisation (after a rotation). */
  async pushOrgQr(orgId: string): Promise<void> {
    const sends: Promise<void>[] = [];
    for (const id of await this.directory.activeConnectorIds(orgId)) {
      const entry = this.directory.entry(id);
      if (entry) sends.push(this.sendQr(entry));
    }
    await Promise.all(sends);
  }

  /**
   * Sends the organisation's current QR on a tunnel. QRs are computed asynchronously (the
   * welcome on connect, a key learnt moments later), so an answer that a later computation
   * has overtaken is dropped: the connector must end up showing the newest QR, never an older
   * one that arrived last (a QR issued before the site key was known does not pin it).
   */
  private async sendQr(entry: TunnelEntry): Promise<void> {
    const seq = (this.qrSeq.get(entry.session) ?? 0) + 1;
    this.qrSeq.set(entry.session, seq);
    const qr = await this.orgQr.current(entry.orgId);
    if (entry.session.state !== 'open' || this.qrSeq.get(entry.session) !== seq) return;
    entry.session.sendMessage({ type: 'org-qr', payload: qr.payload, expiresAt: qr.expiresAt.toISOString() });
  }

  private async view(r: ConnectorRow): Promise<ConnectorView> {
    const live = r.revokedAt ? undefined : await this.directory.liveAnywhere(r.id);
    return { ...r, online: live !== undefined, live };
  }

  private send(connectorId: string, message: ControlMessage): boolean {
    const e = this.directory.entry(connectorId);
    if (!e || e.session.state !== 'open') return false;
    e.session.sendMessage(message);
    return true;
  }

  private welcome(entry: TunnelEntry): void {
    entry.session.on('message', (m) => this.onConnectorMessage(entry, m));
    void this.greet(entry).catch((err: unknown) => {
      this.log.warn({ err, connectorId: entry.connectorId }, 'could not send the welcome messages');
    });
  }

  private async greet(entry: TunnelEntry): Promise<void> {
    await this.sendQr(entry);
    if (entry.session.state !== 'open') return;
    const row = await this.directory.connectorById(entry.connectorId);
    if (row?.localAppUrlPending && row.localAppUrl && entry.session.state === 'open') {
      entry.session.sendMessage({ type: 'config', localAppUrl: row.localAppUrl });
      await this.directory.setLocalAppUrl(entry.connectorId, row.localAppUrl, false);
    }
  }

  private onConnectorMessage(entry: TunnelEntry, m: ControlMessage): void {
    const reported = typeof m.localAppUrl === 'string' ? parseLocalAppUrl(m.localAppUrl) : undefined;
    // Changed on the connector's own page: the tunnel may now reach another site.
    if (m.type === 'config-changed' && reported)
      this.siteTrust.relearn(entry, 'server address changed on the connector');
    const task =
      m.type === 'agent-info' && typeof m.version === 'string'
        ? this.directory.setAgentInfo(entry.connectorId, m.version, reported)
        : m.type === 'config-changed' && reported
          ? this.directory.setLocalAppUrl(entry.connectorId, reported, false)
          : undefined;
    if (!task) {
      this.log.debug({ connectorId: entry.connectorId, type: m.type }, 'ignored control message');
      return;
    }
    task.catch((err: unknown) =>
      this.log.warn({ err, connectorId: entry.connectorId }, 'could not store connector report'),
    );
  }
}
