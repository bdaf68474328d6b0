/**
 * `npm start`: the whole stack on the embedded default (PGlite, no Redis), one process each:
 * access-core, the cloud broker and an edge connector registered to the demo organisation.
 * State lives in .data/stack so a restart keeps the same connector identity.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  APP_MAIN,
  ROOT,
  httpGetJson,
  portIsFree,
  runCli,
  runJsonCli,
  spawnApp,
  waitFor,
  type SpawnedApp,
} from '@lanbridge/testing';
import { startMailSink } from './mail-sink';

const PORTS = { broker: 8080, connectorStatus: 8081, accessCore: 8090, mail: 2525 } as const;
const ORG_SLUG = 'demo';

interface StackState {
  readonly connectorId: string;
  readonly orgSlug: string;
}

/** Secrets of this local stack: made once, kept in .data/stack (mode 0600), never the public dev defaults. */
interface StackSecrets {
  readonly dataEncryptionKey: string;
  readonly adminPassword: string;
}

function loadSecrets(file: string): StackSecrets {
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as StackSecrets;
  const secrets: StackSecrets = {
    dataEncryptionKey: crypto.randomBytes(32).toString('base64'),
    adminPassword: crypto.randomBytes(9).toString('base64url'),
  };
  fs.writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

interface DemoSite {
  readonly devices: readonly { sn: string; alias: string; area: string }[];
  readonly people: readonly { pin: string; name: string; card: string; appLogin: boolean }[];
  /** null when the people changed their password since the first seed. */
  readonly personPassword: string | null;
}

async function main(): Promise<void> {
  const dataDir = path.join(ROOT, '.data', 'stack');
  const keyFile = path.join(dataDir, 'connector', 'connector.key');
  const stateFile = path.join(dataDir, 'stack.json');
  fs.mkdirSync(dataDir, { recursive: true });

  for (const [name, port] of Object.entries(PORTS)) {
    if (!(await portIsFree(port))) {
      throw new Error(`port ${port} (${name}) is already in use on 127.0.0.1; stop whatever holds it and run again`);
    }
  }

  const mail = await startMailSink(PORTS.mail, (line) => process.stdout.write(`${'[mail]'.padEnd(16)} ${line}\n`));

  const brokerEnv = {
    SMTP_URL: `smtp://127.0.0.1:${PORTS.mail}`,
    MAIL_FROM: 'Lanbridge <no-reply@lanbridge.localhost>',
    BROKER_HOST: '127.0.0.1',
    BROKER_PORT: String(PORTS.broker),
    BROKER_PUBLIC_URL: `http://127.0.0.1:${PORTS.broker}`,
    BROKER_DATA_DIR: path.join(dataDir, 'broker'),
    DATABASE_URL: '',
    REDIS_URL: '',
  };

  if (!fs.existsSync(keyFile)) {
    runJsonCli(APP_MAIN.connector, ['keygen'], { CONNECTOR_KEY_FILE: keyFile });
  }
  let state: StackState | undefined = fs.existsSync(stateFile)
    ? (JSON.parse(fs.readFileSync(stateFile, 'utf8')) as StackState)
    : undefined;
  if (!state) {
    const pubFile = path.join(dataDir, 'connector', 'connector.pub.pem');
    fs.writeFileSync(pubFile, runCli(APP_MAIN.connector, ['public-key'], { CONNECTOR_KEY_FILE: keyFile }));
    const reg = runJsonCli<{ connectorId: string; orgSlug: string }>(
      APP_MAIN.brokerCli,
      [
        'register-connector',
        '--org',
        ORG_SLUG,
        '--org-name',
        'Demo site',
        '--public-key',
        pubFile,
        '--name',
        'demo-connector',
      ],
      brokerEnv,
    );
    state = { connectorId: reg.connectorId, orgSlug: reg.orgSlug };
    fs.writeFileSync(stateFile, JSON.stringify(state, null, 2));
  }

  const secrets = loadSecrets(path.join(dataDir, 'secrets.json'));
  const accessCoreEnv = {
    ACCESS_CORE_HOST: '127.0.0.1',
    ACCESS_CORE_PORT: String(PORTS.accessCore),
    ACCESS_CORE_DATA_DIR: path.join(dataDir, 'access-core'),
    DATABASE_URL: '',
    DATA_ENCRYPTION_KEY: secrets.dataEncryptionKey,
    ACCESS_CORE_ADMIN_PASSWORD: secrets.adminPassword,
    // The organisation registered above is "Demo site": the site calls itself the same
    // (the first boot seeds it; afterwards Settings → Site name in the console changes it).
    SITE_NAME: 'Demo site',
    // Cloud push and pushed site data go up through the connector's local uplink.
    CLOUD_UPLINK_URL: `http://127.0.0.1:${PORTS.connectorStatus}/uplink`,
  };
  // A demo site: two areas, four terminals, a few people (idempotent; runs before access-core
  // because embedded PostgreSQL allows one process per data directory).
  const site = runJsonCli<DemoSite>(APP_MAIN.accessCoreCli, ['seed-demo'], accessCoreEnv);

  const apps: SpawnedApp[] = [];
  let stopping = false;
  const stopAll = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nstopping the stack...\n');
    for (const app of [...apps].reverse()) await app.stop();
    await mail.close();
    process.exit(code);
  };
  const onExit = (name: string) => (code: number | null) => {
    if (!stopping) {
      process.stderr.write(`${name} exited unexpectedly (code ${code}); stopping the stack\n`);
      void stopAll(1);
    }
  };

  apps.push(spawnApp('access-core', APP_MAIN.accessCore, [], accessCoreEnv, { onExit: onExit('access-core') }));
  apps.push(spawnApp('cloud-broker', APP_MAIN.broker, [], brokerEnv, { onExit: onExit('cloud-broker') }));
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  const base = `http://127.0.0.1:${PORTS.broker}`;
  await waitFor(
    'access-core',
    async () => (await httpGetJson(`http://127.0.0.1:${PORTS.accessCore}/healthz`)).status === 200,
    60000,
  );
  await waitFor('cloud broker', async () => (await httpGetJson(`${base}/healthz`)).status === 200, 60000);

  apps.push(
    spawnApp(
      'edge-connector',
      APP_MAIN.connector,
      ['run'],
      {
        BROKER_URL: `ws://127.0.0.1:${PORTS.broker}/tunnel/v1/connect`,
        CONNECTOR_ID: state.connectorId,
        CONNECTOR_KEY_FILE: keyFile,
        LOCAL_APP_URL: `http://127.0.0.1:${PORTS.accessCore}`,
        STATUS_HOST: '127.0.0.1',
        STATUS_PORT: String(PORTS.connectorStatus),
      },
      { onExit: onExit('edge-connector') },
    ),
  );
  // The site's door terminals, speaking the PUSH protocol to access-core; a demo loop swipes
  // cards and opens doors every few seconds so events and alarms keep coming.
  apps.push(
    spawnApp(
      'terminals',
      APP_MAIN.terminalSimulator,
      [
        '--server',
        `http://127.0.0.1:${PORTS.accessCore}`,
        '--count',
        String(site.devices.length),
        '--doors',
        '2',
        '--script',
        '--script-interval-ms',
        '8000',
      ],
      { LOG_LEVEL: 'warn' },
      { onExit: onExit('terminals') },
    ),
  );
  const statusUrl = `http://127.0.0.1:${PORTS.connectorStatus}/status`;
  await waitFor(
    'edge connector online',
    async () =>
      (await httpGetJson(statusUrl)).body instanceof Object &&
      ((await httpGetJson(statusUrl)).body as { online?: boolean }).online === true,
    60000,
  );

  const lines = [
    '',
    'Lanbridge is running (embedded PostgreSQL via PGlite, no Redis). Ctrl-C stops everything.',
    '',
    `  cloud broker      ${base}   (tunnel endpoint ws://127.0.0.1:${PORTS.broker}/tunnel/v1/connect)`,
    `  phone app         ${base}/app/   (open at a phone viewport; add the organisation with its QR link below)`,
    `  edge connector    ${statusUrl}   (connector ${state.connectorId}, online)`,
    `  access-core       http://127.0.0.1:${PORTS.accessCore}`,
    `  site console      http://127.0.0.1:${PORTS.accessCore}/   (operators: sign in as admin, below)`,
    `  mail (local sink) smtp://127.0.0.1:${PORTS.mail}   (messages are printed here, with their links)`,
    '',
    `  terminals         ${site.devices.map((d) => `${d.sn} ${d.alias} (${d.area})`).join(', ')}`,
    '',
    // The demo organisation has the default site-session ingress: the broker lets the sign-in
    // endpoints and the site's JWKS through, everything else needs a site access token.
    `  through the tunnel: curl ${base}/t/${state.orgSlug}/.well-known/jwks.json   (public; other paths need a site token)`,
    `  site sign-in:       administrator admin / ${secrets.adminPassword}; personnel ${site.people
      .filter((p) => p.appLogin)
      .map((p) => p.pin)
      .join(', ')} / ${site.personPassword ?? '(changed by the user)'}`,
    `  cloud portal:       ${base}/sign-up  (the verification mail is printed above as [mail])`,
    `  connector status:   node dist/apps/edge-connector/src/main.js status --url http://127.0.0.1:${PORTS.connectorStatus}`,
    '',
    `  the phone app: open ${base}/app/ and scan the QR at http://127.0.0.1:${PORTS.connectorStatus}/org-qr.png,`,
    '    or open the link it holds (decode it with: npm run mobile -- scan org-qr.png --trust ' + base + ')',
    '',
    '  the mobile app from a terminal (scan the QR the connector shows, sign in through the cloud):',
    `    curl -so org-qr.png http://127.0.0.1:${PORTS.connectorStatus}/org-qr.png && npm run mobile -- scan org-qr.png --trust ${base}`,
    `    npm run mobile -- login --admin admin --trust ${base}   (then: dashboard, alarms, unlock <door>, watch, --help)`,
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`start-stack: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
