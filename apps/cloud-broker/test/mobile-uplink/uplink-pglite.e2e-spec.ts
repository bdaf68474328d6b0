// The uplink's storage on the broker's embedded PGlite (the single-node database): the same
// requests as on PostgreSQL, through a real connector and broker from dist/.
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import {
  APP_MAIN,
  freePort,
  httpGetJson,
  runJsonCli,
  spawnApp,
  type SpawnedApp,
  tempDir,
  waitFor,
} from '@lanbridge/testing';

const quiet = process.env.E2E_VERBOSE !== '1';

async function call(url: string, method: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe('uplink on a broker with embedded PGlite', () => {
  const dir = tempDir('uplink-pglite');
  let broker: SpawnedApp | undefined;
  let connector: SpawnedApp | undefined;
  let origin: http.Server | undefined;
  let uplinkUrl = '';
  let brokerUrl = '';

  beforeAll(async () => {
    const port = await freePort();
    brokerUrl = `http://127.0.0.1:${port}`;
    const env = { BROKER_DATA_DIR: path.join(dir, 'db'), BROKER_PORT: String(port), LOG_LEVEL: 'warn' };
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const pub = path.join(dir, 'c.pub');
    const key = path.join(dir, 'c.key');
    fs.writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }).toString());
    fs.writeFileSync(key, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 });
    // PGlite is one process's database: register before the broker opens it.
    const reg = runJsonCli<{ connectorId: string }>(
      APP_MAIN.brokerCli,
      ['register-connector', '--org', 'pglite-site', '--public-key', pub],
      env,
    );
    broker = spawnApp('cloud-broker', APP_MAIN.broker, [], env, { quiet });
    await waitFor('broker /healthz', async () => (await httpGetJson(`${brokerUrl}/healthz`)).status === 200, 60_000);
    origin = http.createServer((req, res) => {
      req.resume();
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => origin?.listen(0, '127.0.0.1', r));
    const statusPort = await freePort();
    uplinkUrl = `http://127.0.0.1:${statusPort}/uplink`;
    connector = spawnApp(
      'edge-connector',
      APP_MAIN.connector,
      ['run'],
      {
        BROKER_URL: `ws://127.0.0.1:${port}/tunnel/v1/connect`,
        CONNECTOR_ID: reg.connectorId,
        CONNECTOR_KEY_FILE: key,
        LOCAL_APP_URL: `http://127.0.0.1:${(origin.address() as AddressInfo).port}`,
        STATUS_PORT: String(statusPort),
        LOG_LEVEL: 'warn',
      },
      { quiet },
    );
    await waitFor(
      'connector online',
      async () =>
        ((await httpGetJson(`http://127.0.0.1:${statusPort}/status`)).body as { online?: boolean } | undefined)
          ?.online === true,
      30_000,
    );
  }, 120_000);

  afterAll(async () => {
    await connector?.stop('SIGTERM', 10_000);
    await broker?.stop('SIGTERM', 15_000);
    await new Promise<void>((r) => (origin ? origin.close(() => r()) : r()));
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('stores settings, devices and event logs once, takes notifications once, deletes data', async () => {
    expect((await call(`${brokerUrl}/api/v1/push/config`, 'GET')).status).toBe(200);
    expect(await call(`${uplinkUrl}/v1/settings`, 'PUT', { pushToApp: true, pushDataToCloud: true })).toEqual({
      status: 200,
      body: { pushToApp: true, pushDataToCloud: true },
    });
    const device = { sn: 'SN1', name: 'Gate', online: true, firmware: '1.0', area: null, lastSeenAt: null };
    expect(await call(`${uplinkUrl}/v1/devices`, 'POST', { items: [device, { ...device, online: false }] })).toEqual({
      status: 200,
      body: { accepted: ['SN1', 'SN1'] },
    });
    const logs = {
      items: [1, 2].map((id) => ({
        id,
        time: new Date().toISOString(),
        deviceSn: 'SN1',
        deviceName: 'Gate',
        eventCode: 0,
        eventName: 'Open',
        level: 'info',
      })),
    };
    for (let i = 0; i < 2; i++) {
      expect(await call(`${uplinkUrl}/v1/event-logs`, 'POST', logs)).toEqual({
        status: 200,
        body: { accepted: [1, 2] },
      });
    }
    const notifications = {
      items: [
        {
          id: 'n-1',
          recipients: ['admin:1'],
          notification: {
            type: 'notification',
            title: 'Hi',
            body: 'Test',
            data: null,
            createdAt: new Date().toISOString(),
          },
        },
      ],
    };
    for (let i = 0; i < 2; i++) {
      expect(await call(`${uplinkUrl}/v1/notifications`, 'POST', notifications)).toEqual({
        status: 200,
        body: { accepted: ['n-1'] },
      });
    }
    expect(await call(`${uplinkUrl}/v1/data`, 'DELETE')).toEqual({
      status: 200,
      body: { deleted: { devices: 1, eventLogs: 2 } },
    });
  });

  it('stores the good items of a batch with a U+0000 in one and names the bad one', async () => {
    const log = (id: number, deviceName: string) => ({
      id,
      time: new Date().toISOString(),
      deviceSn: 'SN1',
      deviceName,
      eventCode: 0,
      eventName: 'Open',
      level: 'info',
    });
    expect(
      await call(`${uplinkUrl}/v1/event-logs`, 'POST', {
        items: [log(10, 'Gate'), log(11, 'Ga\u0000te'), log(12, 'Gate')],
      }),
    ).toEqual({
      status: 200,
      body: {
        accepted: [10, 12],
        rejected: [{ index: 1, id: 11, problems: ['items[1].deviceName must not contain U+0000'] }],
      },
    });
    expect(await call(`${uplinkUrl}/v1/data`, 'DELETE')).toEqual({
      status: 200,
      body: { deleted: { devices: 0, eventLogs: 2 } },
    });
  });
});
