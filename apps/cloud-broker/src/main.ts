// First: V8 flags must be set before the broker's code is optimised.
import './v8-tuning';
import { ConfigError } from '@lanbridge/config';
import { createLogger } from '@lanbridge/logging';
import { startBroker } from './bootstrap';
import { loadBrokerConfig } from './config/broker.config';

async function main(): Promise<void> {
  const config = loadBrokerConfig(process.env);
  const logger = createLogger('cloud-broker', { level: config.logLevel });
  // Shutdown hooks drain on SIGINT/SIGTERM (GOAWAY to tunnels, in-flight requests finish).
  const broker = await startBroker(process.env, { logger, shutdownHooks: true });
  logger.info({ url: broker.url, publicUrl: config.publicUrl }, 'cloud broker ready');
}

main().catch((err: unknown) => {
  const detail =
    err instanceof ConfigError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`cloud-broker failed to start: ${detail}\n`);
  process.exit(1);
});
