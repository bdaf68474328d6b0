import { ConfigError } from '@lanbridge/config';
import { startAccessCore } from './bootstrap';

async function main(): Promise<void> {
  const running = await startAccessCore(process.env);
  const stop = (): void => {
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`access-core: shutdown failed: ${err instanceof Error ? err.stack : String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  const text =
    err instanceof ConfigError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`access-core: failed to start\n${text}\n`);
  process.exit(1);
});
