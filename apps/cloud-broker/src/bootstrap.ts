import 'reflect-metadata';
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { createLogger, type Logger, NestPinoLogger } from '@lanbridge/logging';
import { resolveTunnelConfig, type TunnelConfig, TunnelError, TunnelErrorCode } from '@lanbridge/tunnel-protocol';
import { AppModule, type BrokerLifecycle } from './app.module';
import { installBodyParsers, installOpenApi } from './accounts/http-setup';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { type BrokerConfig, loadBrokerConfig } from './config/broker.config';
import {
  ConnectorRegistrationService,
  type RegisterConnectorInput,
  type RegisteredConnector,
} from './connectors/connector-registration.service';
import { ConnectorRepository } from './connectors/connector.repository';
import type { IngressPolicy } from './connectors/ingress-policy';
import { OrganizationRepository } from './connectors/organization.repository';
import { openDatabase } from './database/database';
import { createUpgradeDispatcher } from './http/upgrade-dispatcher';
import { INGRESS_PREFIX, IngressHandler } from './ingress/ingress.handler';
import { OrgSlugCache } from './ingress/org-slug.cache';
import { signInLimiter } from './ingress/site-session.gate';
import { MetricsService } from './metrics/metrics.service';
import { ObservedTunnelRegistry } from './connector-admin/observed-tunnel-registry';
import { applyCors } from './http/cors';
import { RateLimitService } from './rate-limit/rate-limit.service';
import { SiteTrustService } from './site-trust/site-trust.service';
import type { TunnelDirectory } from './tunnel/tunnel-registry';
import { TunnelPresence } from './tunnel/tunnel-presence';
import { TunnelServer } from './tunnel/tunnel.server';

export interface StartBrokerOptions {
  /** Root logger; default: pino at LOG_LEVEL. */
  readonly logger?: Logger;
  /** Overrides of the tunnel session config (tests shrink timers). */
  readonly tunnel?: Partial<TunnelConfig>;
  /** Drain and stop on SIGINT/SIGTERM (Nest shutdown hooks). For the real process only. */
  readonly shutdownHooks?: boolean;
  /** Timers of the tunnel directory between nodes (tests shrink them). */
  readonly presence?: { readonly ttlMs?: number; readonly lookupCacheMs?: number };
}

export interface RunningBroker {
  /** Base URL of the listening server, e.g. http://127.0.0.1:41234 (no trailing slash). */
  readonly url: string;
  readonly port: number;
  readonly config: BrokerConfig;
  /** Live tunnels on this node. */
  readonly registry: TunnelDirectory;
  readonly connectors: {
    /** Creates the org if needed and registers the key; idempotent for the same key and org. */
    register(input: RegisterConnectorInput): Promise<RegisteredConnector>;
    /** Marks the connector revoked; its live tunnel (if any) is closed with REVOKED. */
    revoke(connectorId: string): Promise<void>;
  };
  readonly organizations: {
    /** Sets the organization's ingress policy (`site-session` or `open`). */
    setIngressPolicy(orgSlug: string, policy: IngressPolicy): Promise<void>;
  };
  /** Graceful: refuse new work, GOAWAY every tunnel, drain up to DRAIN_TIMEOUT_MS, stop. Idempotent. */
  close(): Promise<void>;
}

function baseUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${h}:${port}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() >= deadline) return false;
    await sleep(25);
  }
  return true;
}

/** Starts a broker: database (migrated), Nest endpoints, tunnel endpoint and ingress, listening. */
export async function startBroker(
  env: Readonly<Record<string, string | undefined>>,
  opts: StartBrokerOptions = {},
): Promise<RunningBroker> {
  const config = loadBrokerConfig(env);
  const logger = opts.logger ?? createLogger('cloud-broker', { level: config.logLevel });
  const log = logger.child({ component: 'broker' });
  const dataSource = await openDatabase(config, logger);

  const tunnelConfig = resolveTunnelConfig({ drainTimeoutMs: Math.max(1, config.drainTimeoutMs), ...opts.tunnel });
  const registry = new ObservedTunnelRegistry();
  const metrics = new MetricsService(registry);
  const orgRepo = new OrganizationRepository(dataSource);
  const connectorRepo = new ConnectorRepository(dataSource);
  const registration = new ConnectorRegistrationService(orgRepo, connectorRepo);
  const orgCache = new OrgSlugCache(async (slug) => {
    const org = await orgRepo.findBySlug(slug);
    return org && { id: org.id, policy: org.ingressPolicy };
  });
  registration.onRegistered((slug) => orgCache.invalidate(slug));
  const tunnel = new TunnelServer({
    nodeId: config.nodeId,
    tunnelConfig,
    registry,
    connectors: connectorRepo,
    metrics,
    logger,
  });
  // Several nodes: each claims in Redis the organisations whose tunnels it holds, and forwards
  // a request for a site whose tunnel is elsewhere to the node that has it.
  const cluster = config.cluster;
  const presence =
    cluster &&
    new TunnelPresence(new Redis(cluster.redisUrl, { maxRetriesPerRequest: 2 }), {
      selfUrl: cluster.nodeUrl,
      logger,
      ...opts.presence,
    });
  if (presence) {
    registry.onAdded((entry) => presence.claim(entry));
    registry.onRemoved((entry) => presence.release(entry));
    registry.useCluster(presence);
    presence
      .subscribe({
        // Newest session wins across nodes: a connector that reconnected to another node leaves
        // its session here at once rather than at the dead-peer timeout.
        session: (connectorId, sessionId, connectedAt) => {
          const entry = registry.get(connectorId);
          // Only an older session: the connector may already have come back here since.
          if (entry && entry.sessionId !== sessionId && entry.connectedAt <= connectedAt) {
            entry.session.close(
              new TunnelError(TunnelErrorCode.REPLACED, `replaced by session ${sessionId} on another node`),
            );
          }
        },
        revoke: (connectorId) => {
          registry.get(connectorId)?.session.close(new TunnelError(TunnelErrorCode.REVOKED, 'connector revoked'));
        },
      })
      .catch((err: unknown) => log.warn({ err }, 'not subscribed to the events of other nodes'));
    presence.start();
  }
  const ingress = new IngressHandler({
    registry,
    orgs: orgCache,
    metrics,
    logger,
    publicProto: config.publicProto,
    headTimeoutMs: config.ingressTimeoutMs,
    publicMaxBodyBytes: config.ingressPublicMaxBodyBytes,
    peers: presence &&
      cluster && {
        find: (orgId) => presence.find(orgId),
        forget: (orgId) => presence.forget(orgId),
        secret: cluster.peerSecret,
      },
  });

  const drainState = { draining: false };
  const corsLog = logger.child({ component: 'cors' });
  const corsRefused = (origin: string, req: IncomingMessage): void =>
    corsLog.debug({ origin, method: req.method, url: req.url?.slice(0, 200) }, 'CORS preflight refused');
  const adapter = new ExpressAdapter();
  const expressApp = adapter.getInstance<RequestListener>();
  // Express never sees /t/ requests: they go straight to the ingress (see below).
  // highWaterMark: a download moves through the ingress in tunnel DATA chunks of up to 256 KiB;
  // with the default 16 KiB every chunk paused and resumed the tunnel stream.
  const server: Server = createServer(
    { noDelay: true, keepAlive: true, keepAliveTimeout: 65_000, highWaterMark: 256 * 1024 },
    (req, res) => {
      if (applyCors(config.cors, req, res, corsRefused)) return;
      if (req.url !== undefined && req.url.startsWith(INGRESS_PREFIX)) ingress.handle(req, res);
      else expressApp(req, res);
    },
  );
  server.on('upgrade', createUpgradeDispatcher(tunnel, ingress));

  let released = false;
  const serverClosed = new Promise<void>((resolve) => server.once('close', () => resolve()));
  const lifecycle: BrokerLifecycle = {
    async drain() {
      if (drainState.draining) return;
      drainState.draining = true;
      const started = Date.now();
      log.info({ inFlight: ingress.inFlightCount, tunnels: registry.size }, 'draining');
      // Other nodes stop forwarding here first (failures are logged; claims lapse on their own).
      void presence?.withdrawAll();
      ingress.drain();
      tunnel.drain();
      if (server.listening) server.close();
      server.closeIdleConnections();
      const [idle, tunnelsGone] = await Promise.all([
        ingress.waitIdle(config.drainTimeoutMs),
        until(() => registry.size === 0, config.drainTimeoutMs),
      ]);
      tunnel.closeAll();
      ingress.destroyAll();
      server.closeAllConnections();
      // Give close frames a moment to leave, then drop whatever still hangs on.
      await Promise.race([serverClosed, sleep(1000)]);
      tunnel.terminateAll();
      log.info({ ms: Date.now() - started, clean: idle && tunnelsGone }, 'drained');
    },
    async release() {
      if (released) return;
      released = true;
      await tunnel.settled();
      await presence?.close();
      await dataSource.destroy();
    },
  };

  let app: NestExpressApplication;
  try {
    app = await NestFactory.create<NestExpressApplication>(
      AppModule.forRoot({ dataSource, metrics, drainState, lifecycle, config, logger, registry }),
      adapter,
      // Body parsers are ours (installBodyParsers): limits and JSON errors for oversized/malformed bodies.
      { logger: new NestPinoLogger(logger), abortOnError: false, bodyParser: false },
    );
    app.disable('x-powered-by');
    app.set('trust proxy', config.accounts.trustProxyHops);
    installBodyParsers(app, logger);
    installOpenApi(app);
    // Nest tries global filters last-registered first: AccountsError before the catch-all.
    app.useGlobalFilters(new AllExceptionsFilter(logger));
    app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
    if (opts.shutdownHooks) app.enableShutdownHooks(['SIGINT', 'SIGTERM'], { useProcessExit: true });
    await app.init();
    const siteTrust = app.get(SiteTrustService);
    ingress.useSiteSessionGate({
      verify: (orgId, token) => siteTrust.verifyForOrg(orgId, token),
      spendSignIn: signInLimiter(app.get(RateLimitService), config.ingressSignIn),
      trustProxyHops: config.accounts.trustProxyHops,
      observeSiteHello: (orgId, body) => siteTrust.observeHello(orgId, body),
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await presence?.close();
    await dataSource.destroy();
    throw err;
  }

  const port = (server.address() as AddressInfo).port;
  const url = baseUrl(config.host, port);
  log.info(
    { url, node: config.nodeId, database: config.database.kind, nodeUrl: cluster?.nodeUrl },
    cluster ? 'broker listening (cluster node)' : 'broker listening',
  );

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    config,
    registry,
    connectors: {
      register: (input) => registration.register(input),
      async revoke(connectorId) {
        await connectorRepo.revoke(connectorId, new Date());
        tunnel.revoke(connectorId);
      },
    },
    organizations: {
      async setIngressPolicy(orgSlug, policy) {
        const org = await orgRepo.findBySlug(orgSlug);
        if (!org) throw new Error(`no organization "${orgSlug}"`);
        await orgRepo.setIngressPolicy(org.id, policy);
        orgCache.invalidate(orgSlug);
      },
    },
    close: () => (closing ??= app.close()),
  };
}
