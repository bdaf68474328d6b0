import { ConfigError } from '@lanbridge/config';
import { ActivationError } from './activation/activation-error';
import { ACTIVATE_USAGE, activateCommand } from './activation/activate-command';
import { startConnector } from './bootstrap';
import { loadLocalConfig } from './config/connector.config';
import { ConnectorKeyError, generateConnectorKey, loadConnectorKey, publicKeyPem } from './keys/connector-key';
import { formatStatus } from './status/status-format';
import type { ConnectorStatusView } from './status/status.service';

const USAGE = `Usage: main.js [command]
  run                  start the connector service (default); serves the activation page until activated
  ${ACTIVATE_USAGE}
  keygen [--force]     create the Ed25519 key file; prints {publicKeyPem, thumbprint, keyFile}
  public-key           print the public key (SPKI PEM) of the existing key
  status [--url URL]   show the running connector's status (exit 0 online, 3 offline)`;

/** LSB "program is not running"; used for offline and unreachable alike so scripts test one code. */
const EXIT_OFFLINE = 3;

function flag(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function run(): Promise<void> {
  const connector = await startConnector(process.env);
  let signals = 0;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (++signals > 1) process.exit(130);
    process.stderr.write(`${signal} received, draining the tunnel (repeat to force)\n`);
    connector.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`shutdown failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

function keygen(args: readonly string[]): void {
  const config = loadLocalConfig(process.env);
  const info = generateConnectorKey(config.keyFile, { force: args.includes('--force') });
  process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
}

function publicKey(): void {
  const config = loadLocalConfig(process.env);
  process.stdout.write(publicKeyPem(loadConnectorKey(config.keyFile)));
}

async function status(args: readonly string[]): Promise<number> {
  const config = loadLocalConfig(process.env);
  const host = config.statusHost.includes(':') ? `[${config.statusHost}]` : config.statusHost;
  const base = (flag(args, '--url') ?? `http://${host}:${config.statusPort}`).replace(/\/+$/, '');
  let body: ConnectorStatusView;
  try {
    const res = await fetch(`${base}/status`, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    body = (await res.json()) as ConnectorStatusView;
  } catch (err) {
    process.stdout.write(`Offline (connector status not reachable at ${base}: ${(err as Error).message})\n`);
    return EXIT_OFFLINE;
  }
  process.stdout.write(`${formatStatus(body)}\n`);
  return body.online ? 0 : EXIT_OFFLINE;
}

async function main(argv: readonly string[]): Promise<void> {
  const [command = 'run', ...args] = argv;
  switch (command) {
    case 'run':
      await run();
      return;
    case 'activate':
      process.exitCode = await activateCommand(args, loadLocalConfig(process.env));
      return;
    case 'keygen':
      keygen(args);
      return;
    case 'public-key':
      publicKey();
      return;
    case 'status':
      process.exitCode = await status(args);
      return;
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return;
    default:
      process.stderr.write(`Unknown command "${command}"\n${USAGE}\n`);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  // Operator mistakes get their message only; anything else keeps its stack for a bug report.
  if (err instanceof ActivationError) {
    process.stderr.write(`${err.code}: ${err.message}\n`);
    process.exit(1);
  }
  if (err instanceof ConfigError || err instanceof ConnectorKeyError) process.stderr.write(`${err.message}\n`);
  else process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
