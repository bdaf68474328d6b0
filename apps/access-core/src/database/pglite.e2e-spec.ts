/**
 * PGlite loads Node built-ins with dynamic import(), which jest's module sandbox refuses, so
 * this smoke test runs the built app (dist/, made by `npm run build` / `npm run test:all`) as a
 * child process. That also covers main.ts: env from process.env, SIGTERM → clean exit 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../../..');
const MAIN = path.join(ROOT, 'dist/apps/access-core/src/main.js');

interface Running {
  readonly child: ChildProcess;
  readonly url: string;
  readonly lines: Record<string, unknown>[];
  readonly exited: Promise<number | null>;
}

function startBuilt(dataDir: string, siteName: string): Promise<Running> {
  const { DATABASE_URL: _url, DATABASE_SCHEMA: _schema, ...inherited } = process.env;
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: {
      ...inherited,
      ACCESS_CORE_HOST: '127.0.0.1',
      ACCESS_CORE_PORT: '0',
      ACCESS_CORE_DATA_DIR: dataDir,
      SITE_NAME: siteName,
      ACCESS_CORE_ADMIN_PASSWORD: 'pglite-admin-password',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    // PGlite's first start (WASM, then every migration) takes tens of seconds on a loaded machine.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`access-core did not start in 90 s:\n${stderr}`));
    }, 90_000);
    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const l of parts) {
        if (!l.startsWith('{')) continue;
        const entry = JSON.parse(l) as Record<string, unknown>;
        lines.push(entry);
        if (entry.msg === 'access-core listening') {
          clearTimeout(timer);
          resolve({ child, url: entry.url as string, lines, exited });
        }
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => (stderr += c));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`access-core exited with ${code} before listening:\n${stderr}`));
    });
  });
}

describe('access-core on embedded PGlite (built app)', () => {
  let dataDir: string;
  let running: Running | undefined;

  beforeAll(() => {
    if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first`);
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'access-core-pglite-'));
  });

  afterAll(async () => {
    if (running && running.child.exitCode === null) {
      running.child.kill('SIGKILL');
      await running.exited;
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('migrates, serves, renames, stops on SIGTERM and keeps the name across a restart', async () => {
    running = await startBuilt(path.join(dataDir, 'db'), 'Embedded site');
    expect(running.lines.find((l) => l.msg === 'database ready')).toMatchObject({
      kind: 'pglite',
      migrations: [
        'CreateSiteSetting1767225600000',
        'CreateAccessDomain1767312000000',
        'CreateAuthSession1767398400000',
        'MobilePath1767500000000',
        'EventFingerprint1767600000000',
        'PushRejectedLine1767610000000',
        'DeviceApproval1767620000000',
        'EventDispatch1767630000000',
      ],
    });
    expect((await fetch(`${running.url}/readyz`)).status).toBe(200);
    const info = (await (await fetch(`${running.url}/api/v1/system/info`)).json()) as Record<string, unknown>;
    expect(info).toMatchObject({ name: 'Embedded site', product: 'access-core' });

    const signIn = await fetch(`${running.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'admin', username: 'admin', password: 'pglite-admin-password' }),
    });
    const { accessToken } = (await signIn.json()) as { accessToken: string };
    const put = await fetch(`${running.url}/api/v1/system/name`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({ name: 'Renamed embedded' }),
    });
    expect(put.status).toBe(200);
    const bad = await fetch(`${running.url}/api/v1/system/name`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({ name: 'x', extra: true }),
    });
    expect(bad.status).toBe(400);

    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
    expect(running.lines.some((l) => l.msg === 'access-core stopped')).toBe(true);

    running = await startBuilt(path.join(dataDir, 'db'), 'Ignored on second boot');
    expect(running.lines.find((l) => l.msg === 'database ready')).toMatchObject({ migrations: [] });
    const again = (await (await fetch(`${running.url}/api/v1/system/info`)).json()) as Record<string, unknown>;
    expect(again.name).toBe('Renamed embedded');
    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
  }, 240_000);
});
