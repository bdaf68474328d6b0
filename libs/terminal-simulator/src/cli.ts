#!/usr/bin/env node
/**
 * Runs a fleet of simulated terminals against a PUSH server and logs what they do.
 *
 *   node dist/libs/terminal-simulator/src/cli.js --server http://127.0.0.1:8090 --count 4 [--script]
 *
 * Flags (all optional):
 *   --server URL            PUSH server base URL (default http://127.0.0.1:8090)
 *   --count N               number of terminals, 1–200 (default 1)
 *   --sn-prefix P           SN prefix; SNs are P + 8 digits (default LBSIM → LBSIM00000001)
 *   --doors N               doors per terminal, 1–4 (default 1)
 *   --mode acc|att          Security PUSH (default) or Attendance PUSH
 *   --request-delay-ms MS   poll interval override (default: the server's RequestDelay)
 *   --error-delay-ms MS     retry delay override (default: the server's ErrorDelay, else 30 s)
 *   --script                demo loop: a random card swipe / face / exit button every few seconds
 *   --script-interval-ms MS demo loop period (default 4000)
 *   --log-level L           pino level (default info)
 *   --pretty                human-readable logs
 *   --help                  this text
 */
import { parseArgs } from 'node:util';
import { createLogger } from '@lanbridge/logging';
import { startFleet, type Fleet } from './fleet';
import { type SimulatedTerminal } from './terminal';

const HELP = `usage: terminal-simulator [--server URL] [--count N] [--sn-prefix P] [--doors N] [--mode acc|att]
                          [--request-delay-ms MS] [--error-delay-ms MS] [--script] [--script-interval-ms MS]
                          [--log-level L] [--pretty]`;

class UsageError extends Error {}

function intFlag(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer ${min}–${max}`);
  return n;
}

function optionalInt(name: string, value: string | undefined): number | undefined {
  return value === undefined ? undefined : intFlag(name, value, 0, 1, 3_600_000);
}

/** Demo: a random plausible action on a random terminal. */
async function demoStep(t: SimulatedTerminal): Promise<void> {
  const door = 1 + Math.floor(Math.random() * t.doorCount);
  const users = t.tables.users();
  const roll = Math.random();
  let granted = false;
  if (roll < 0.5 && users.length > 0) {
    const u = users[Math.floor(Math.random() * users.length)];
    const [ev] = u.cardno ? await t.swipeCard(u.cardno, door) : await t.verifyFace(u.pin, door);
    granted = ev?.code === 0;
  } else if (roll < 0.7) {
    await t.swipeCard(String(10_000_000 + Math.floor(Math.random() * 89_999_999)), door);
  } else {
    await t.pressExitButton(door);
    granted = true;
  }
  if (granted) {
    await t.openDoor(door);
    setTimeout(() => {
      if (t.running) t.closeDoor(door).catch(() => undefined);
    }, 2000);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      server: { type: 'string', default: 'http://127.0.0.1:8090' },
      count: { type: 'string' },
      'sn-prefix': { type: 'string', default: 'LBSIM' },
      doors: { type: 'string' },
      mode: { type: 'string', default: 'acc' },
      'request-delay-ms': { type: 'string' },
      'error-delay-ms': { type: 'string' },
      script: { type: 'boolean', default: false },
      'script-interval-ms': { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
      pretty: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const count = intFlag('count', values.count, 1, 1, 200);
  const doors = intFlag('doors', values.doors, 1, 1, 4);
  const mode = values.mode;
  if (mode !== 'acc' && mode !== 'att') throw new UsageError('--mode must be acc or att');
  const prefix = values['sn-prefix'];
  if (!/^[A-Za-z0-9_-]{1,20}$/.test(prefix)) throw new UsageError('--sn-prefix: 1–20 letters or digits');
  const interval = intFlag('script-interval-ms', values['script-interval-ms'], 4000, 100, 3_600_000);
  const requestDelayMs = optionalInt('request-delay-ms', values['request-delay-ms']);
  const errorDelayMs = optionalInt('error-delay-ms', values['error-delay-ms']);
  const log = createLogger('terminal-simulator', { level: values['log-level'], pretty: values.pretty });

  const fleet: Fleet = await startFleet(
    values.server,
    Array.from({ length: count }, (_, i) => ({
      sn: `${prefix}${String(i + 1).padStart(8, '0')}`,
      doors,
      mode,
      ...(requestDelayMs !== undefined ? { requestDelayMs } : {}),
      ...(errorDelayMs !== undefined ? { errorDelayMs } : {}),
      logger: log,
    })),
  );
  for (const t of fleet.terminals) {
    t.on('error', () => undefined); // already logged by the terminal; keeps EventEmitter from throwing
  }
  log.info({ server: values.server, count, doors, mode, script: values.script }, 'terminal fleet started');

  let timer: NodeJS.Timeout | undefined;
  if (values.script) {
    timer = setInterval(() => {
      const online = fleet.terminals.filter((t) => t.online);
      const t = online[Math.floor(Math.random() * online.length)];
      if (t) demoStep(t).catch((err: unknown) => log.warn({ err: String(err) }, 'demo step failed'));
    }, interval);
  }
  const shutdown = (signal: string): void => {
    log.info({ signal }, 'stopping terminal fleet');
    clearInterval(timer);
    fleet.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  if (err instanceof UsageError) process.stderr.write(`${HELP}\n`);
  process.exit(err instanceof UsageError ? 2 : 1);
});
