import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createLogger } from '@lanbridge/logging';
import { BrokerError } from './common/broker-error';
import { loadBrokerConfig } from './config/broker.config';
import { ConnectorRegistrationService, type RegisterConnectorInput } from './connectors/connector-registration.service';
import { ConnectorRepository } from './connectors/connector.repository';
import { INGRESS_POLICIES, type IngressPolicy, isIngressPolicy } from './connectors/ingress-policy';
import { OrganizationRepository } from './connectors/organization.repository';
import { openDatabase } from './database/database';

const USAGE = `usage: cli register-connector --org <slug> [--org-name <name>] --public-key <file.pem> [--name <name>]
                               [--ingress site-session|open]
  Registers a connector's Ed25519 public key (SPKI PEM) under an organization (created if needed)
  and prints {"connectorId","orgId","orgSlug"} as JSON. Uses the broker's DATABASE_* settings.
  --ingress sets the organization's ingress policy: site-session (the default for a new
  organization: only site access tokens get through /t/<org>/) or open (a plain HTTP tunnel to a
  generic origin, no session check). Without it an existing organization keeps its policy.
       cli register-connectors --file <list.json> [--ingress site-session|open]
  The same for many keys at once: list.json is [{"orgSlug","publicKeyPem","orgName"?,"name"?}];
  prints {"connectors":[{"connectorId","orgId","orgSlug"}, ...]} in the same order.`;

function ingressOption(value: string | undefined): IngressPolicy | undefined {
  if (value === undefined) return undefined;
  if (!isIngressPolicy(value)) throw new UsageError(`--ingress must be one of ${INGRESS_POLICIES.join(', ')}`);
  return value;
}

async function withRegistration<T>(fn: (service: ConnectorRegistrationService) => Promise<T>): Promise<T> {
  const config = loadBrokerConfig(process.env);
  // Logs go to stderr so stdout carries only the JSON answer.
  const logger = createLogger(
    'broker-cli',
    { level: config.logLevel === 'info' ? 'warn' : config.logLevel },
    process.stderr,
  );
  const ds = await openDatabase(config, logger);
  try {
    return await fn(new ConnectorRegistrationService(new OrganizationRepository(ds), new ConnectorRepository(ds)));
  } finally {
    await ds.destroy();
  }
}

async function registerConnector(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      org: { type: 'string' },
      'org-name': { type: 'string' },
      'public-key': { type: 'string' },
      name: { type: 'string' },
      ingress: { type: 'string' },
    },
    strict: true,
  });
  const { org, 'public-key': keyFile } = values;
  if (!org || !keyFile) throw new UsageError('--org and --public-key are required');
  const ingressPolicy = ingressOption(values.ingress);
  const result = await withRegistration((service) =>
    service.register({
      orgSlug: org,
      orgName: values['org-name'],
      publicKeyPem: readFileSync(keyFile, 'utf8'),
      name: values.name,
      ingressPolicy,
    }),
  );
  process.stdout.write(JSON.stringify(result) + '\n');
}

async function registerConnectors(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { file: { type: 'string' }, ingress: { type: 'string' } },
    strict: true,
  });
  if (!values.file) throw new UsageError('--file is required');
  const ingressPolicy = ingressOption(values.ingress);
  const list: unknown = JSON.parse(readFileSync(values.file, 'utf8'));
  if (!Array.isArray(list)) throw new UsageError('--file must hold a JSON array');
  const inputs = list.map((item: unknown, i): RegisterConnectorInput => {
    const o = item as Partial<Record<keyof RegisterConnectorInput, unknown>>;
    if (typeof o?.orgSlug !== 'string' || typeof o.publicKeyPem !== 'string') {
      throw new UsageError(`entry ${i} needs string orgSlug and publicKeyPem`);
    }
    return {
      orgSlug: o.orgSlug,
      publicKeyPem: o.publicKeyPem,
      orgName: typeof o.orgName === 'string' ? o.orgName : undefined,
      name: typeof o.name === 'string' ? o.name : undefined,
      ingressPolicy,
    };
  });
  const connectors = await withRegistration(async (service) => {
    const out = [];
    for (const input of inputs) out.push(await service.register(input));
    return out;
  });
  process.stdout.write(JSON.stringify({ connectors }) + '\n');
}

class UsageError extends Error {}

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  try {
    switch (command) {
      case 'register-connector':
        await registerConnector(rest);
        return 0;
      case 'register-connectors':
        await registerConnectors(rest);
        return 0;
      default:
        throw new UsageError(command ? `unknown command "${command}"` : 'missing command');
    }
  } catch (err) {
    if (err instanceof UsageError || (err instanceof TypeError && 'code' in err)) {
      process.stderr.write(`${err.message}\n${USAGE}\n`);
      return 2;
    }
    if (err instanceof BrokerError) {
      process.stderr.write(`${JSON.stringify({ code: err.code, message: err.message })}\n`);
      return 1;
    }
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}

void main().then((code) => {
  process.exitCode = code;
});
