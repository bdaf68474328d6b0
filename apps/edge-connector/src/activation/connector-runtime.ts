import type { KeyObject } from 'node:crypto';
import type { Logger } from '@lanbridge/logging';
import { type ControlMessage, TunnelErrorCode, type TunnelConfig } from '@lanbridge/tunnel-protocol';
import type { ConnectorLocalConfig } from '../config/connector.config';
import { HttpForwarder } from '../forward/http-forwarder';
import { generateConnectorKey, loadConnectorKey } from '../keys/connector-key';
import { TunnelClient, type TunnelClientStatus } from '../tunnel/tunnel-client';
import {
  type ActivationState,
  parseLocalAppUrl,
  readActivationState,
  removeActivationState,
  stateFileFor,
  tunnelUrlFor,
  writeActivationState,
} from './activation-state';
import type { ActivatedConnector } from './cloud-client';

export interface ConnectorRuntimeOptions {
  readonly config: ConnectorLocalConfig;
  readonly privateKey: KeyObject;
  readonly hostname: string;
  readonly agentVersion: string;
  readonly logger: Logger;
  readonly tunnelConfig?: Partial<TunnelConfig>;
}

/** Tunnel state as the pages show it. */
export interface ConnectionView {
  readonly activated: boolean;
  readonly online: boolean;
  /** The broker refused this connector's key: deactivated in the portal (or never registered). */
  readonly revoked: boolean;
  /** The broker refused the tunnel: the site it reaches belongs to another company. */
  readonly siteClaimed: boolean;
  readonly lastError: TunnelClientStatus['lastError'];
}

const GRACE_MS = 30_000;

/**
 * Everything the running connector owns: key, activation state, the tunnel client (once
 * activated) and the forwarder to the local application, which is swapped when the server
 * address changes (from the local page or pushed by the portal over the tunnel).
 */
export class ConnectorRuntime {
  private activation: ActivationState | undefined;
  private tunnel: TunnelClient | undefined;
  private forwarder: HttpForwarder;
  private appUrl: string;
  private privateKey: KeyObject;
  private readonly stateFile: string;
  private readonly log: Logger;
  /** Forwarders replaced by an address change; closed after in-flight requests had time to finish. */
  private readonly retired = new Set<HttpForwarder>();
  private readonly timers = new Set<NodeJS.Timeout>();

  private latestOrgQr: { payload: string; expiresAt: string } | undefined;

  constructor(private readonly opts: ConnectorRuntimeOptions) {
    this.log = opts.logger.child({ component: 'connector-runtime' });
    this.stateFile = stateFileFor(opts.config.keyFile);
    this.privateKey = opts.privateKey;
    this.activation = readActivationState(this.stateFile);
    this.appUrl = this.activation?.localAppUrl ?? opts.config.localAppUrl;
    this.forwarder = this.newForwarder(this.appUrl);
  }

  get state(): ActivationState | undefined {
    return this.activation;
  }

  /** The organisation QR the cloud sent last (or the one saved at activation). */
  get orgQr(): { payload: string; expiresAt: string } | undefined {
    return this.latestOrgQr ?? this.activation?.orgQr;
  }

  get client(): TunnelClient | undefined {
    return this.tunnel;
  }

  get localAppUrl(): string {
    return this.appUrl;
  }

  get publicKey(): KeyObject {
    return this.privateKey;
  }

  /** True when the tunnel can be started: activated, or CONNECTOR_ID + BROKER_URL given in the environment. */
  get activated(): boolean {
    return this.tunnelTarget() !== undefined;
  }

  /** Starts the tunnel if there is something to connect as. */
  start(): void {
    const target = this.tunnelTarget();
    if (!target || this.tunnel) return;
    const client = new TunnelClient({
      brokerUrl: target.url,
      connectorId: target.connectorId,
      privateKey: this.privateKey,
      agentVersion: this.opts.agentVersion,
      hostname: this.opts.hostname,
      onStream: (stream) => this.forwarder.forward(stream),
      backoff: this.opts.config.backoff,
      tunnelConfig: this.opts.tunnelConfig,
      logger: this.opts.logger,
    });
    client.on('message', (m) => this.onMessage(m));
    client.on('online', () => {
      client.sendMessage({
        type: 'agent-info',
        version: this.opts.agentVersion,
        hostname: this.opts.hostname,
        localAppUrl: this.appUrl,
        appType: this.activation?.appType ?? 'access-core',
      });
    });
    this.tunnel = client;
    client.start();
  }

  /** Saves what the broker answered at activation and brings the tunnel up. */
  activate(result: ActivatedConnector, localAppUrl: string): ActivationState {
    const state: ActivationState = {
      connectorId: result.connectorId,
      orgId: result.orgId,
      orgSlug: result.orgSlug,
      orgName: result.orgName,
      area: result.area,
      brokerUrl: result.brokerUrl,
      localAppUrl,
      appType: 'access-core',
      activatedAt: new Date().toISOString(),
    };
    writeActivationState(this.stateFile, state);
    this.activation = state;
    this.log.info({ connectorId: state.connectorId, orgId: state.orgId, area: state.area }, 'connector activated');
    this.applyLocalAppUrl(localAppUrl);
    this.start();
    return state;
  }

  /**
   * Changes where streams go, at once for new requests; persisted. `from: 'local'` (the page)
   * also tells the broker so the portal shows it.
   */
  setLocalAppUrl(raw: string, from: 'local' | 'cloud'): string | undefined {
    const url = parseLocalAppUrl(raw);
    if (!url) return undefined;
    this.applyLocalAppUrl(url);
    if (this.activation) {
      this.activation = { ...this.activation, localAppUrl: url };
      writeActivationState(this.stateFile, this.activation);
    }
    this.log.info({ localAppUrl: url, from }, 'server address changed');
    if (from === 'local') this.tunnel?.sendMessage({ type: 'config-changed', localAppUrl: url });
    return url;
  }

  /**
   * Forgets the activation (after a deactivation in the portal): stops the tunnel, makes a new
   * key (the old one is revoked for good at the broker) and returns to the activation page.
   */
  async reset(): Promise<void> {
    await this.tunnel?.stop();
    this.tunnel = undefined;
    removeActivationState(this.stateFile);
    this.activation = undefined;
    generateConnectorKey(this.opts.config.keyFile, { force: true });
    this.privateKey = loadConnectorKey(this.opts.config.keyFile);
    this.log.warn('activation reset; a new key was generated');
  }

  status(): TunnelClientStatus {
    if (this.tunnel) return this.tunnel.status();
    return {
      state: 'idle',
      brokerUrl: '',
      connectorId: '',
      sessionId: null,
      rttMs: null,
      openStreams: 0,
      connectedSince: null,
      reconnects: 0,
      lastError: null,
    };
  }

  connection(): ConnectionView {
    const s = this.status();
    const code = s.lastError?.code;
    return {
      activated: this.activated,
      online: s.state === 'online',
      revoked: s.state !== 'online' && (code === TunnelErrorCode.REVOKED || code === TunnelErrorCode.AUTH_FAILED),
      siteClaimed: s.state !== 'online' && code === TunnelErrorCode.SITE_CLAIMED,
      lastError: s.lastError,
    };
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    await this.tunnel?.stop();
    await Promise.all([this.forwarder.close(), ...[...this.retired].map((f) => f.close())]);
  }

  private tunnelTarget(): { url: string; connectorId: string } | undefined {
    const { connectorId, brokerUrl } = this.opts.config;
    if (connectorId && brokerUrl) return { url: brokerUrl, connectorId };
    if (this.activation)
      return { url: tunnelUrlFor(this.activation.brokerUrl), connectorId: this.activation.connectorId };
    return undefined;
  }

  private newForwarder(url: string): HttpForwarder {
    return new HttpForwarder({
      localAppUrl: url,
      upstreamTimeoutMs: this.opts.config.upstreamTimeoutMs,
      logger: this.opts.logger,
    });
  }

  private applyLocalAppUrl(url: string): void {
    if (url === this.appUrl) return;
    const old = this.forwarder;
    this.forwarder = this.newForwarder(url);
    this.appUrl = url;
    this.retired.add(old);
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.retired.delete(old);
      void old.close();
    }, GRACE_MS);
    t.unref();
    this.timers.add(t);
  }

  private onMessage(m: ControlMessage): void {
    switch (m.type) {
      case 'config':
        if (typeof m.localAppUrl === 'string' && !this.setLocalAppUrl(m.localAppUrl, 'cloud')) {
          this.log.warn({ localAppUrl: m.localAppUrl }, 'ignored a pushed server address that is not an http URL');
        }
        return;
      case 'org-qr':
        if (typeof m.payload !== 'string' || typeof m.expiresAt !== 'string') return;
        // Kept in memory for connectors configured by environment (no activation state file) too.
        this.latestOrgQr = { payload: m.payload, expiresAt: m.expiresAt };
        if (this.activation) {
          this.activation = { ...this.activation, orgQr: this.latestOrgQr };
          if (typeof m.orgName === 'string') this.activation = { ...this.activation, orgName: m.orgName };
          writeActivationState(this.stateFile, this.activation);
        }
        this.log.info('organisation QR received');
        return;
      default:
        this.log.debug({ type: m.type }, 'ignored control message');
    }
  }
}
