/**
 * `cli.js seed-demo` (the built CLI, as operators run it) on PostgreSQL, then the app on the
 * seeded schema with a simulated LBSIM00000001: the pre-provisioned terminal registers into
 * its area and receives the people and rights, so the demo card opens door 1.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SimulatedTerminal } from '@lanbridge/terminal-simulator';
import { createTestSchema, TEST_DATABASE_URL } from '@lanbridge/testing';
import { startAccessCore, type RunningAccessCore } from '../../src/bootstrap';
import type { DemoSummary } from '../../src/demo/demo-seeder';
import { AreaRepository, DeviceRepository, DoorRepository } from '../../src/domain/device.repository';
import { PersonRepository } from '../../src/domain/person.repository';
import { captureLogger, eventually } from '../terminals/harness';

const ROOT = path.resolve(__dirname, '../../../..');
const CLI = path.join(ROOT, 'dist/apps/access-core/src/cli.js');
const PASSWORD = 'demo-password-1';

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** The CLI runs from dist/; rebuild (swc, ~1 s) when any access-core or lib source is newer. */
function ensureBuilt(): void {
  const built = fs.existsSync(CLI) ? fs.statSync(CLI).mtimeMs : 0;
  const sources = Math.max(
    newestSource(path.join(ROOT, 'apps/access-core/src')),
    newestSource(path.join(ROOT, 'libs')),
  );
  if (sources > built)
    execFileSync(process.execPath, [path.join(ROOT, 'tools/build.js')], { cwd: ROOT, stdio: 'ignore' });
}

interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  const { DATABASE_URL: _url, DATABASE_SCHEMA: _schema, ...inherited } = process.env;
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { ...inherited, NODE_ENV: 'test', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cli ${args.join(' ')} did not finish in 15 s:\n${stderr}`));
    }, 15_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('seed-demo CLI', () => {
  let schema: Awaited<ReturnType<typeof createTestSchema>>;
  let db: Record<string, string>;
  let app: RunningAccessCore | undefined;
  let terminal: SimulatedTerminal | undefined;

  beforeAll(async () => {
    ensureBuilt();
    schema = await createTestSchema('ac_demo');
    db = { DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema.name };
  }, 20_000);

  afterAll(async () => {
    await terminal?.stop();
    await app?.close();
    await schema?.drop();
  });

  it('seeds idempotently, and the app syncs the provisioned terminal when it registers', async () => {
    const first = await runCli(['seed-demo', '--person-password', PASSWORD], db);
    expect(first).toMatchObject({ code: 0 });
    const summary = JSON.parse(first.stdout) as DemoSummary;
    expect(summary).toEqual({
      areas: ['Main building', 'Warehouse'],
      devices: [
        { sn: 'LBSIM00000001', alias: 'Main entrance', area: 'Main building', doors: 2 },
        { sn: 'LBSIM00000002', alias: 'Reception', area: 'Main building', doors: 1 },
        { sn: 'LBSIM00000003', alias: 'Loading dock', area: 'Warehouse', doors: 2 },
        { sn: 'LBSIM00000004', alias: 'Storage room', area: 'Warehouse', doors: 1 },
      ],
      people: [
        { pin: '1001', name: 'Ana García', card: '100100', appLogin: true },
        { pin: '1002', name: 'Wei Chen', card: '100200', appLogin: true },
        { pin: '1003', name: 'Sam Taylor', card: '100300', appLogin: false },
      ],
      personPassword: PASSWORD,
      accessLevel: { name: 'All doors', doors: 6, people: ['1001', '1002'] },
      lockdownGroup: { name: 'Whole site', doors: 6 },
    });
    expect(first.stderr).toContain('demo site seeded');

    // Again, with and without the password: nothing written, the same summary.
    for (const args of [['seed-demo', '--person-password', PASSWORD], ['seed-demo']]) {
      const again = await runCli(args, db);
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout)).toEqual(summary);
      expect(again.stderr).toContain('demo site already up to date');
    }
    expect(await runCli(['seed-demo', '--person-password', 'short'], db)).toMatchObject({ code: 2, stdout: '' });

    const log = captureLogger();
    app = await startAccessCore(
      { NODE_ENV: 'test', ACCESS_CORE_HOST: '127.0.0.1', ACCESS_CORE_PORT: '0', PUSH_REQUEST_DELAY_SEC: '1', ...db },
      { logger: log.logger },
    );
    const ana = await app.get(PersonRepository).findByPin('1001');
    expect(ana).toMatchObject({ appLoginEnabled: true, cardNo: '100100' });
    const sam = await app.get(PersonRepository).findByPin('1003');
    expect(await app.get(PersonRepository).guardianIdsOf(sam?.id ?? '')).toEqual([ana?.id]);

    terminal = new SimulatedTerminal({
      serverUrl: app.url,
      sn: 'LBSIM00000001',
      doorCount: 2,
      requestDelayMs: 100,
      errorDelayMs: 200,
      detectorTimeSec: 0,
    });
    await terminal.start();
    await terminal.waitOnline(10_000);
    const t = terminal;

    const device = await app.get(DeviceRepository).findBySn('LBSIM00000001');
    const mainBuilding = await app.get(AreaRepository).orm.findOneBy({ name: 'Main building' });
    expect(device).toMatchObject({
      alias: 'Main entrance',
      enrollment: 'provisioned',
      approval: 'approved',
      areaId: mainBuilding?.id,
      doorCount: 2,
      online: true,
      registryCode: t.registration.registryCode,
    });
    expect((await app.get(DoorRepository).byDevice(device?.id ?? '')).map((d) => d.doorNo)).toEqual([1, 2]);

    await eventually('people and rights on the terminal', () => {
      const rights = t.tables.authorizations('1001');
      return t.tables.userByCard('100100') && t.tables.userByCard('100200') && rights.length > 0 && rights;
    });
    const [granted] = await t.swipeCard('100100', 1);
    expect(granted.code).toBe(0);
    const [unknown] = await t.swipeCard('999', 1);
    expect(unknown.code).toBe(27);
  }, 30_000);
});
