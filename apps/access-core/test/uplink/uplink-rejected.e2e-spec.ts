/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are checked by expect(), not by types */
/**
 * An uplink item the cloud refuses as malformed is set aside, not retried: a terminal reports a
 * firmware text longer than the cloud takes, so the broker answers its device item `rejected`;
 * access-core keeps it for an operator (with the broker's reason), sends it no more, and the
 * other terminal's device and events reach the cloud. The real processes (access-core, broker,
 * connector) from dist/.
 */
import { Client } from 'pg';
import { SITE_ADMIN_PASSWORD, startSiteStack, TEST_DATABASE_URL, waitFor, type SiteStack } from '@lanbridge/testing';

type Json = Record<string, any>;

const POISONED = `UPLBAD${process.pid}`;
const GOOD = `UPLOK${process.pid}`;

describe('uplink items the cloud refuses', () => {
  let stack: SiteStack;
  let pg: Client;
  let token = '';

  const api = async (method: string, p: string, body?: unknown): Promise<{ status: number; body: Json }> => {
    const res = await fetch(`${stack.accessCoreUrl}${p}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Json };
  };
  const site = (table: string): string => `"${stack.accessCoreEnv.DATABASE_SCHEMA}".${table}`;
  const cloud = (table: string): string => `"${stack.brokerEnv.DATABASE_SCHEMA}".${table}`;
  const count = async (sql: string, params: unknown[] = []): Promise<number> =>
    (await pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params)).rows[0].n;

  beforeAll(async () => {
    stack = await startSiteStack({ prefix: 'uplrej', accessCoreEnv: { PUSH_AUTO_ENROLL: 'true' } });
    pg = new Client({ connectionString: TEST_DATABASE_URL });
    await pg.connect();
    const login = await fetch(`${stack.accessCoreUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'admin', username: 'admin', password: SITE_ADMIN_PASSWORD }),
    });
    token = ((await login.json()) as { accessToken: string }).accessToken;
    expect((await api('PUT', '/api/v1/settings/cloud', { pushDataToCloud: true })).status).toBe(200);
    await waitFor(
      'the cloud takes data',
      async () =>
        (await count(`${cloud('org_cloud_setting')} WHERE push_data_to_cloud`)) === 1 &&
        (await count(`${site('cloud_outbox')} WHERE kind = 'settings'`)) === 0,
      30_000,
    );
  }, 120_000);

  afterAll(async () => {
    await pg?.end();
    await stack?.stop();
  });

  it('sets the refused item aside with the reason, sends it no more, and delivers the rest', async () => {
    // The broker takes at most 100 characters of firmware text; the site stores what the terminal says.
    const poisoned = await fetch(`${stack.accessCoreUrl}/iclock/registry?SN=${POISONED}`, {
      method: 'POST',
      body: `~DeviceName=F20/M,FirmVer=${'V'.repeat(150)},LockCount=1`,
    });
    expect(poisoned.status).toBe(200);
    const good = await fetch(`${stack.accessCoreUrl}/iclock/registry?SN=${GOOD}`, {
      method: 'POST',
      body: '~DeviceName=F20/M,FirmVer=AC Ver 5.7.8,LockCount=1',
    });
    expect(good.status).toBe(200);
    const line = `time=2026-01-05 10:00:00\tpin=0\tcardno=55501\teventaddr=1\tevent=27\tinoutstatus=0\tverifytype=1\tindex=1`;
    const upload = await fetch(`${stack.accessCoreUrl}/iclock/cdata?SN=${GOOD}&table=rtlog`, {
      method: 'POST',
      body: `${line}\r\n`,
    });
    expect(await upload.text()).toBe('OK');

    // The good terminal and its event reach the cloud.
    await waitFor(
      'the good device and its event in the cloud',
      async () =>
        (await count(`${cloud('cloud_device')} WHERE sn = $1`, [GOOD])) === 1 &&
        (await count(`${cloud('cloud_event_log')} WHERE device_sn = $1`, [GOOD])) === 1,
      30_000,
    );
    // The refused one is listed for the operator with the broker's reason, and left the outbox.
    let listed: Json[] = [];
    await waitFor(
      'the refused item set aside',
      async () => {
        listed = (await api('GET', '/api/v1/uplink/rejected')).body.items as Json[];
        return listed.some((i) => i.payload?.sn === POISONED);
      },
      30_000,
    );
    const item = listed.find((i) => i.payload?.sn === POISONED)!;
    expect(item).toMatchObject({ kind: 'device', problems: [expect.stringMatching(/firmware must be at most 100/)] });
    expect(await count(`${cloud('cloud_device')} WHERE sn = $1`, [POISONED])).toBe(0);
    expect(await count(`${site('cloud_outbox')} WHERE kind = 'device' AND payload->>'sn' = $1`, [POISONED])).toBe(0);
    // Not sent again: nothing more set aside for it while the uplink stays healthy.
    const aside = await count(`${site('cloud_outbox_rejected')} WHERE payload->>'sn' = $1`, [POISONED]);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await count(`${site('cloud_outbox_rejected')} WHERE payload->>'sn' = $1`, [POISONED])).toBe(aside);
    expect(await count(`${site('cloud_outbox')} WHERE kind <> 'push'`)).toBe(0);
    expect((await api('GET', '/api/v1/settings/cloud')).body).toMatchObject({ uplink: 'ok', pending: 0 });

    // Dismissed once looked at.
    expect((await api('DELETE', `/api/v1/uplink/rejected/${item.id}`)).status).toBe(204);
    expect((await api('DELETE', `/api/v1/uplink/rejected/${item.id}`)).status).toBe(404);
    expect(await api('DELETE', '/api/v1/uplink/rejected/not-an-id')).toMatchObject({
      status: 400,
      body: { code: 'VALIDATION_FAILED' },
    });
    expect((await api('GET', '/api/v1/uplink/rejected?page=1&pageSize=5')).status).toBe(200);
  });
});
