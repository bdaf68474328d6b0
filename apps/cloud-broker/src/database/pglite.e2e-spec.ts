// PGlite loads its WebAssembly through dynamic import(), which jest's VM sandbox refuses without
// --experimental-vm-modules; so this suite drives the built CLI and broker as real processes.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { connectorHandshake, createSession, WS_SUBPROTOCOL_V1, wsTransport } from '@lanbridge/tunnel-protocol';
import WebSocket from 'ws';

const ROOT = resolve(__dirname, '../../../..');
const DIST = join(ROOT, 'dist/apps/cloud-broker/src');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function ensureBuilt(): void {
  let built = 0;
  try {
    built = statSync(join(DIST, 'main.js')).mtimeMs;
  } catch {
    built = 0;
  }
  const sources = Math.max(newestMtime(join(ROOT, 'apps/cloud-broker/src')), newestMtime(join(ROOT, 'libs')));
  if (built >= sources) return;
  const r = spawnSync(process.execPath, [join(ROOT, 'tools/build.js')], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed: ${r.stderr}`);
}

describe('broker on embedded PGlite (real processes)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lanbridge-broker-pglite-'));
  const env = { PATH: process.env.PATH, BROKER_DATA_DIR: join(dir, 'db'), BROKER_PORT: '0', LOG_LEVEL: 'info' };
  let broker: ChildProcess | undefined;
  let ws: WebSocket | undefined;

  beforeAll(() => ensureBuilt());

  afterAll(() => {
    ws?.terminate();
    if (broker && broker.exitCode === null) broker.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers with the CLI, boots, migrates, accepts the tunnel and drains on SIGTERM', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const pemFile = join(dir, 'connector.pub.pem');
    writeFileSync(pemFile, publicKey.export({ format: 'pem', type: 'spki' }));

    const cli = spawnSync(
      process.execPath,
      [
        join(DIST, 'cli.js'),
        'register-connector',
        '--org',
        'smoke',
        '--org-name',
        'Smoke Ltd',
        '--public-key',
        pemFile,
        // A generic HTTP origin stands in for the site: no site sessions.
        '--ingress',
        'open',
      ],
      { cwd: ROOT, env, encoding: 'utf8', timeout: 30_000 },
    );
    expect(cli.status).toBe(0);
    const reg = JSON.parse(cli.stdout) as { connectorId: string; orgId: string; orgSlug: string };
    expect(reg.orgSlug).toBe('smoke');

    // Idempotent for the same key and organization.
    const again = spawnSync(
      process.execPath,
      [join(DIST, 'cli.js'), 'register-connector', '--org', 'smoke', '--public-key', pemFile],
      { cwd: ROOT, env, encoding: 'utf8', timeout: 30_000 },
    );
    expect(JSON.parse(again.stdout)).toEqual(reg);

    const child = spawn(process.execPath, [join(DIST, 'main.js')], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    broker = child;
    const lines: string[] = [];
    const url = await new Promise<string>((resolveUrl, reject) => {
      const rl = createInterface({ input: child.stdout });
      rl.on('line', (line) => {
        lines.push(line);
        const m = /"msg":"cloud broker ready"/.test(line) ? (JSON.parse(line) as { url: string }) : undefined;
        if (m) resolveUrl(m.url);
      });
      child.once('exit', (code) => reject(new Error(`broker exited early (${code}): ${lines.join('\n')}`)));
    });

    expect((await fetch(`${url}/readyz`)).status).toBe(200);

    ws = new WebSocket(`${url.replace(/^http/, 'ws')}/tunnel/v1/connect`, [WS_SUBPROTOCOL_V1]);
    const transport = wsTransport(ws);
    const ready = await connectorHandshake(transport, {
      connectorId: reg.connectorId,
      privateKey,
      agent: { version: 'test', hostname: 'smoke' },
    });
    expect(ready.orgId).toBe(reg.orgId);
    const session = createSession(transport, 'connector', { version: ready.version });
    session.on('stream', (stream) => {
      stream.resume();
      stream.on('end', () => {
        stream.sendResponseHead({ status: 200, headers: ['Content-Type', 'text/plain'] });
        stream.end(`hello ${stream.requestHead.path}`);
      });
    });

    const res = await fetch(`${url}/t/smoke/hi`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('hello /hi');

    const goaway = new Promise<void>((r) => session.once('goaway', () => r()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    await goaway;
    expect(await exited).toBe(0);
  }, 60_000);
});
