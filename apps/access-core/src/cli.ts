/**
 * Maintenance commands, run while the app is stopped (embedded PGlite allows one process per
 * data directory). Same environment and database as the app (loadAccessCoreConfig).
 *
 *   node dist/apps/access-core/src/cli.js seed-demo [--person-password P]
 *
 * stdout: the command's JSON result; stderr: logs. Exit 0 ok, 1 failure, 2 usage or config error.
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { ConfigError } from '@lanbridge/config';
import { createLogger } from '@lanbridge/logging';
import { loadAccessCoreConfig } from './config/access-core.config';
import { openDatabase } from './database/data-source.factory';
import { DemoSeedError, DemoSeeder, MIN_DEMO_PASSWORD_LENGTH, checkDemoPassword } from './demo/demo-seeder';

const HELP = `usage: access-core-cli <command> [options]

commands:
  seed-demo [--person-password P]   create the demo site (areas, 4 terminals LBSIM00000001-4, people,
                                     access level, lockdown group); running it again changes nothing.
                                     P (>= ${MIN_DEMO_PASSWORD_LENGTH} chars) is the App Login password of 1001 and 1002;
                                     default: the one a previous run set, else a random one.
                                     Prints a JSON summary on stdout.

Reads the app's environment (DATABASE_URL, DATABASE_SCHEMA, ACCESS_CORE_DATA_DIR, DATA_ENCRYPTION_KEY, ...).
Run it while access-core is stopped when the database is the embedded PGlite.`;

class UsageError extends Error {}

async function seedDemo(personPassword: string | undefined): Promise<void> {
  if (personPassword !== undefined) checkDemoPassword(personPassword);
  const config = loadAccessCoreConfig(process.env);
  const logger = createLogger('access-core-cli', { level: config.LOG_LEVEL }, process.stderr);
  const dataSource = await openDatabase(config, logger.child({ component: 'database' }));
  try {
    const { summary, changes } = await new DemoSeeder(dataSource, logger).seed({ personPassword });
    logger.info({ changes: changes.length }, changes.length > 0 ? 'demo site seeded' : 'demo site already up to date');
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  } finally {
    await dataSource.destroy();
  }
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      'person-password': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const [command, ...rest] = positionals;
  if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
  switch (command) {
    case 'seed-demo':
      return seedDemo(values['person-password']);
    case undefined:
      throw new UsageError('a command is required');
    default:
      throw new UsageError(`unknown command: ${command}`);
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    const usage =
      err instanceof UsageError ||
      err instanceof ConfigError ||
      err instanceof DemoSeedError ||
      (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'));
    const text =
      usage && err instanceof Error ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`access-core-cli: ${text}\n${usage ? `\n${HELP}\n` : ''}`);
    process.exit(usage ? 2 : 1);
  },
);
