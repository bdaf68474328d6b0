import 'reflect-metadata';
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { NestFactory } from '@nestjs/core';
import { createLogger, type Logger, NestPinoLogger } from '@lanbridge/logging';
import type { TunnelConfig } from '@lanbridge/tunnel-protocol';
import { ActivationService } from './activation/activation.service';
import { ConnectorRuntime } from './activation/connector-runtime';
import { AppModule } from './app.module';
import { loadLocalConfig } from './config/connector.config';
import { generateConnectorKey, loadConnectorKey } from './keys/connector-key';
import type { TunnelClient } from './tunnel/tunnel-client';
import { uplinkRelay } from './uplink/uplink-relay';
import { AGENT_VERSION } from './version';

export interface RunningConnector {
  /** Base URL of the local status server, e.g. http://127.0.0.1:8081 (real port when STATUS_PORT=0). */
  readonly statusUrl: string;
  /** The tunnel client; throws before the connector is activated (see `runtime.client`). */
  readonly client: TunnelClient;
  /** Activation state, tunnel client and forwarder. */
  readonly runtime: ConnectorRuntime;
  /** Drains the tunnel (GOAWAY, in-flight streams finish), then stops the status server. */
  close(): Promise<void>;
}

export interface StartConnectorOptions {
  readonly logger?: Logger;
  /** Overrides of the tunnel session config (tests shrink timers). */
  readonly tunnel?: Partial<TunnelConfig>;
  /** Host name reported at activation and in the handshake; default os.hostname(). */
  readonly hostname?: string;
}

/**
 * Starts the connector service: config and key (made on first start), the local page on
 * loopback, then the tunnel when activated (connector.json next to the key, or CONNECTOR_ID +
 * BROKER_URL in the environment). Not activated: only the activation page runs. Throws
 * ConfigError / ConnectorKeyError before anything is started.
 */
export async function startConnector(
  env: Readonly<Record<string, string | undefined>>,
  opts: StartConnectorOptions = {},
): Promise<RunningConnector> {
  const config = loadLocalConfig(env);
  const logger = opts.logger ?? createLogger('edge-connector', { level: config.logLevel });
  if (!fs.existsSync(path.resolve(config.keyFile))) {
    const info = generateConnectorKey(config.keyFile);
    logger.info({ keyFile: info.keyFile, thumbprint: info.thumbprint }, 'connector key created');
  }
  const privateKey = loadConnectorKey(config.keyFile);
  const host = opts.hostname ?? hostname();

  const runtime = new ConnectorRuntime({
    config,
    privateKey,
    hostname: host,
    agentVersion: AGENT_VERSION,
    logger,
    tunnelConfig: opts.tunnel,
  });
  const activation = new ActivationService({ runtime, cloudUrl: config.cloudUrl, hostname: host, logger });

  const app = await NestFactory.create(
    AppModule.forRoot({ runtime, activation, defaultLocalAppUrl: config.localAppUrl }),
    { logger: new NestPinoLogger(logger), abortOnError: false },
  );
  // Before Nest's body parsers (registered at listen): the relay streams bodies up to 1 MiB as they are.
  app.use('/uplink', uplinkRelay(runtime, config.uplinkTimeoutMs, logger).handle);
  try {
    await app.listen(config.statusPort, config.statusHost);
  } catch (err) {
    await app.close();
    await runtime.close();
    throw err;
  }
  const address = (app.getHttpServer() as { address(): AddressInfo }).address();
  const bound = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const statusUrl = `http://${bound}:${address.port}`;

  runtime.start();
  logger.info(
    { statusUrl, localAppUrl: runtime.localAppUrl, agentVersion: AGENT_VERSION, activated: runtime.activated },
    runtime.activated ? 'edge connector started' : 'edge connector started; not activated, open the local page',
  );

  let closing: Promise<void> | undefined;
  return {
    statusUrl,
    get client(): TunnelClient {
      const c = runtime.client;
      if (!c) throw new Error('the connector is not activated yet; it has no tunnel client');
      return c;
    },
    runtime,
    close() {
      closing ??= (async () => {
        activation.close();
        await runtime.close();
        await app.close();
        logger.info('edge connector stopped');
      })();
      return closing;
    },
  };
}
