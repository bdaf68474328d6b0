import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import QRCode from 'qrcode';
import {
  ed25519Key,
  fakeSite,
  type FakeSite,
  orgQrClaims,
  signOrgQr,
  startServer,
  type TestServer,
} from '../testing/fixtures';
import { type CliIo, main } from './cli';

const DOOR = { id: '3f1d2c4b-5a69-4788-9aab-bccddeeff001', name: 'Front door' };

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

describe('mobile CLI', () => {
  let server: TestServer;
  let site: FakeSite;
  let dir: string;
  let statePath: string;
  let pngPath: string;

  async function run(args: string[], stdin = ''): Promise<Run> {
    const out: string[] = [];
    const err: string[] = [];
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    stdout.on('data', (d: Buffer) => out.push(d.toString()));
    stderr.on('data', (d: Buffer) => err.push(d.toString()));
    const input = new PassThrough();
    input.end(stdin);
    const io: CliIo = { stdin: input, stdout, stderr, env: { LANBRIDGE_MOBILE_STATE: statePath } };
    const code = await main(args, io);
    return { code, stdout: out.join(''), stderr: err.join('') };
  }

  beforeAll(async () => {
    server = await startServer();
    site = await fakeSite(server);
    const broker = await ed25519Key();
    server.handle('GET', '/.well-known/jwks.json', () => ({ json: { keys: [broker.jwk] } }));
    server.handle('POST', '/api/v1/org-qr/resolve', () => ({
      json: {
        orgId: '5b0e6a9e-8f5c-4a53-9a9e-2f1f8e0c1d11',
        name: 'Acme Ltd',
        apiBaseUrl: `${server.url}/t/acme`,
        online: true,
        siteKeyThumbprint: site.signing.thumbprint,
      },
    }));
    server.handle('GET', '/t/acme/api/v1/dashboard', () => ({
      json: { areaId: null, people: 12, visitorsToday: 3, devices: { total: 4, online: 3, offline: 1 }, areas: [] },
    }));
    server.handle('GET', '/t/acme/api/v1/doors', () => ({
      json: { items: [{ ...DOOR, deviceName: 'Lobby', deviceOnline: true }], page: 1, pageSize: 100, total: 1 },
    }));
    server.handle('POST', `/t/acme/api/v1/doors/${DOOR.id}/unlock`, () => ({
      json: { commandId: 'c-1', status: 'acked', returnCode: 0 },
    }));
    dir = mkdtempSync(join(tmpdir(), 'lanbridge-cli-'));
    statePath = join(dir, 'state', 'mobile.json');
    pngPath = join(dir, 'org.png');
    const token = await signOrgQr(orgQrClaims(server.url, { skt: site.signing.thumbprint }), broker);
    writeFileSync(pngPath, await QRCode.toBuffer(`${server.url}/o#${token}`, { type: 'png', scale: 4 }));
  });

  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('scans, signs in, runs commands, signs out; exit codes 0 / 1 / 2', async () => {
    expect((await run(['scan', pngPath])).code).toBe(2); // no trusted broker
    const scan = await run(['scan', pngPath, '--trust', server.url, '--json']);
    expect(scan.code).toBe(0);
    expect(JSON.parse(scan.stdout)).toMatchObject({ name: 'Acme Ltd', api: `${server.url}/t/acme` });
    expect(statSync(statePath).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'state')).mode & 0o777).toBe(0o700);

    const early = await run(['dashboard']);
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(/^NOT_SIGNED_IN: /);

    const wrong = await run(['login', '--admin', 'admin', '--password-stdin'], 'nope\n');
    expect(wrong).toMatchObject({ code: 1, stderr: 'INVALID_CREDENTIALS: wrong name or password (request r-1)\n' });
    expect((await run(['login', '--admin', 'admin'])).code).toBe(2); // no TTY and no --password-stdin

    const login = await run(['login', '--admin', 'admin', '--password-stdin'], 'correct horse\n');
    expect(login).toMatchObject({ code: 0, stdout: 'Signed in to Acme Ltd as admin (admin).\n' });
    expect(site.logins.at(-1)?.plaintext.password).toBe('correct horse');
    const saved = readFileSync(statePath, 'utf8');
    expect(saved).not.toContain('correct horse');
    expect(JSON.parse(saved).session.refreshToken).toEqual(expect.any(String));

    const dash = await run(['dashboard']);
    expect(dash.code).toBe(0);
    expect(dash.stdout).toContain('People:         12');
    expect(dash.stdout).toContain('Devices:        4 (3 online, 1 offline)');
    expect(JSON.parse((await run(['dashboard', '--json'])).stdout)).toMatchObject({ people: 12 });

    const doors = await run(['doors']);
    expect(doors.stdout.split('\n')[0]).toMatch(/^DOOR\s+DEVICE\s+ONLINE\s+AREA\s+SENSOR\s+LOCKDOWN\s+ID$/);
    const unlock = await run(['unlock', 'front door', '--seconds', '5']);
    expect(unlock).toMatchObject({ code: 0, stdout: 'Unlock Front door: acked (return code 0).\n' });
    expect((await run(['unlock', 'front door', '--seconds', '999'])).code).toBe(2);

    expect((await run(['frobnicate'])).code).toBe(2);
    expect((await run(['dashboard', '--no-such-flag'])).code).toBe(2);

    expect((await run(['logout'])).code).toBe(0);
    expect(JSON.parse(readFileSync(statePath, 'utf8'))).not.toHaveProperty('session');
    expect(server.requests.some((r) => r.path === '/t/acme/api/v1/auth/logout')).toBe(true);
  });
});
