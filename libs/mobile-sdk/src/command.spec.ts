import { LanbridgeClient } from './client';
import { type LanbridgeError } from './errors';
import { fakeSite, type FakeSite, startServer, type TestServer } from './testing/fixtures';

const DOOR = '3f1d2c4b-5a69-4788-9aab-bccddeeff001';
const ADMIN = { type: 'admin', username: 'admin', password: 'correct horse' } as const;

describe('remote commands: one Idempotency-Key per action, retried until the deadline (mobile-path §5)', () => {
  let server: TestServer;
  let site: FakeSite;
  let client: LanbridgeClient;

  beforeEach(async () => {
    server = await startServer();
    site = await fakeSite(server);
    client = new LanbridgeClient({
      org: { issuer: server.url, orgId: 'o', name: 'Acme', api: `${server.url}/t/acme`, skt: site.signing.thumbprint },
      commandRetryInitialDelayMs: 20,
      commandRetryMaxDelayMs: 100,
    });
    await client.login(ADMIN);
  });

  afterEach(() => server.close());

  const unlocks = (): { key: string | undefined; body: unknown; auth: string | undefined }[] =>
    server.requests
      .filter((r) => r.path === `/t/acme/api/v1/doors/${DOOR}/unlock`)
      .map((r) => ({
        key: r.headers['idempotency-key'] as string | undefined,
        body: JSON.parse(r.body),
        auth: r.headers.authorization,
      }));

  it('retries 503, 503 with the same key and returns the answer', async () => {
    let n = 0;
    server.handle('POST', `/t/acme/api/v1/doors/${DOOR}/unlock`, () =>
      ++n <= 2
        ? { status: 503, json: { code: 'TUNNEL_OFFLINE', message: 'the site is not connected' } }
        : { json: { commandId: 'c-1', status: 'acked', returnCode: 0 } },
    );
    await expect(client.doors.unlock(DOOR, 5)).resolves.toEqual({ commandId: 'c-1', status: 'acked', returnCode: 0 });
    const sent = unlocks();
    expect(sent).toHaveLength(3);
    expect(sent[0].key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(sent.map((s) => s.key)).size).toBe(1);
    expect(sent.every((s) => JSON.stringify(s.body) === '{"seconds":5}' && s.auth?.startsWith('Bearer '))).toBe(true);

    // The next user action is another command: a new key.
    await client.doors.unlock(DOOR);
    const again = unlocks();
    expect(again).toHaveLength(4);
    expect(again[3].key).not.toBe(sent[0].key);
  });

  it('retries a dropped connection and a 502 as well', async () => {
    let n = 0;
    server.handle('POST', `/t/acme/api/v1/doors/${DOOR}/cancel-alarm`, () => {
      n += 1;
      if (n === 1) return { destroy: true };
      if (n === 2) return { status: 502, json: { code: 'TUNNEL_STREAM_RESET', message: 'stream reset' } };
      return { json: { commandId: 'c-2', status: 'acked', returnCode: 0 } };
    });
    await expect(client.doors.cancelAlarm(DOOR)).resolves.toMatchObject({ commandId: 'c-2' });
    const keys = server.requests
      .filter((r) => r.path.endsWith('/cancel-alarm'))
      .map((r) => r.headers['idempotency-key']);
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1);
  });

  it('does not retry a refusal, and gives up with the last error at the deadline', async () => {
    server.handle('POST', `/t/acme/api/v1/doors/${DOOR}/unlock`, () => ({
      status: 409,
      json: { code: 'DEVICE_OFFLINE', message: 'the terminal is offline' },
    }));
    const refused = (await client.doors.unlock(DOOR).catch((e: unknown) => e)) as LanbridgeError;
    expect([refused.code, refused.status]).toEqual(['DEVICE_OFFLINE', 409]);
    expect(unlocks()).toHaveLength(1);

    server.handle('POST', '/t/acme/api/v1/lockdown/groups/g-1/activate', () => ({
      status: 504,
      json: { code: 'TUNNEL_TIMEOUT', message: 'the site did not answer' },
    }));
    const started = Date.now();
    const late = (await client.lockdown
      .activate('g-1', { deadlineMs: 400 })
      .catch((e: unknown) => e)) as LanbridgeError;
    expect([late.code, late.status]).toEqual(['TUNNEL_TIMEOUT', 504]);
    expect(Date.now() - started).toBeLessThan(2000);
    const tries = server.requests.filter((r) => r.path.endsWith('/activate'));
    expect(tries.length).toBeGreaterThan(2);
    expect(new Set(tries.map((r) => r.headers['idempotency-key'])).size).toBe(1);
  });
});
