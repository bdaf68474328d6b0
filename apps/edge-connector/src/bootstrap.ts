import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { NestFactory } from '@nestjs/core';
import { createLogger, type Logger } from '@lanbridge/logging';
import { AppModule } from './app.module';
import { PinoNestLogger } from './common/pino-nest-logger';
import { loadConnectorConfig } from './config/connector.config';
import { HttpForwarder } from './forward/http-forwarder';
import { loadConnectorKey } from './keys/connector-key';
import { TunnelClient } from './tunnel/tunnel-client';
import { AGENT_VERSION } from './version';

export interface RunningConnector {
  /** Base URL of the local status server, e.g. http://127.0.0.1:8081 (real port when STATUS_PORT=0). */
  readonly statusUrl: string;
  readonly client: TunnelClient;
  /** Drains the tunnel (GOAWAY, in-flight streams finish), then stops the status server. */
  close(): Promise<void>;
}

/**
 * Starts the connector service: loads config and key, starts the status server on loopback,
 * then the tunnel client. Throws ConfigError / ConnectorKeyError before anything is started.
 */
export async function startConnector(
  env: Readonly<Record<string, string | undefined>>,
  opts: { logger?: Logger } = {},
): Promise<RunningConnector> {
  const config = loadConnectorConfig(env);
  const logger = opts.logger ?? createLogger('edge-connector', { level: config.logLevel });
  const privateKey = loadConnectorKey(config.keyFile);

  const forwarder = new HttpForwarder({
    localAppUrl: config.localAppUrl,
    upstreamTimeoutMs: config.upstreamTimeoutMs,
    logger,
  });
  const client = new TunnelClient({
    brokerUrl: config.brokerUrl,
    connectorId: config.connectorId,
    privateKey,
    agentVersion: AGENT_VERSION,
    hostname: hostname(),
    onStream: (stream) => forwarder.forward(stream),
    backoff: config.backoff,
    logger,
  });

  const app = await NestFactory.create(AppModule.forRoot({ client, localAppUrl: config.localAppUrl }), {
    logger: new PinoNestLogger(logger.child({ component: 'nest' })),
    abortOnError: false,
  });
  try {
    await app.listen(config.statusPort, config.statusHost);
  } catch (err) {
    await app.close();
    await forwarder.close();
    throw err;
  }
  const address = (app.getHttpServer() as { address(): AddressInfo }).address();
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const statusUrl = `http://${host}:${address.port}`;

  client.start();
  logger.info({ statusUrl, localAppUrl: config.localAppUrl, agentVersion: AGENT_VERSION }, 'edge connector started');

  let closing: Promise<void> | undefined;
  return {
    statusUrl,
    client,
    close() {
      closing ??= (async () => {
        await client.stop();
        await app.close();
        await forwarder.close();
        logger.info('edge connector stopped');
      })();
      return closing;
    },
  };
}
