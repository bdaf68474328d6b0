// The broker's end of the uplink at the stream level (a connector session built from the tunnel
// protocol library opens the streams, so the test can send what a real connector never would),
// and the portal's "Site data" page over HTTP, against a real broker on PostgreSQL.
import { generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import {
  connectorHandshake,
  createSession,
  type ResponseHead,
  TunnelError,
  TunnelErrorCode,
  type TunnelSession,
  WS_SUBPROTOCOL_V1,
  wsTransport,
} from '@lanbridge/tunnel-protocol';
import WebSocket from 'ws';
import { type Harness, signedUpUser, startHarness, type TestUser } from '../accounts/harness';
import { dropRedisPrefix } from './support';

const PREFIX = `lbtest-stream-${randomBytes(4).toString('hex')}`;

interface Answer {
  readonly status: number;
  readonly headers: readonly string[];
  readonly json: Record<string, unknown>;
}

async function connect(brokerUrl: string, connectorId: string, privateKey: KeyObject): Promise<TunnelSession> {
  const ws = new WebSocket(`${brokerUrl.replace(/^http/, 'ws')}/tunnel/v1/connect`, [WS_SUBPROTOCOL_V1], {
    perMessageDeflate: false,
  });
  const transport = wsTransport(ws);
  const ready = await connectorHandshake(transport, {
    connectorId,
    privateKey,
    agent: { version: 't', hostname: 't' },
  });
  const session = createSession(transport, 'connector', { version: ready.version });
  // The broker asks the site for its hello; this site has none.
  session.on('stream', (s) => {
    s.on('error', () => undefined);
    s.resume();
    s.sendResponseHead({ status: 404, headers: [] });
    s.end();
  });
  return session;
}

/** One uplink request on a connector-opened stream; the body goes out in `chunks`. */
async function uplink(
  session: TunnelSession,
  method: string,
  path: string,
  body?: string | Buffer,
  contentType = 'application/json',
  extraHeaders: string[] = [],
): Promise<Answer> {
  const stream = session.openStream({ method, path, headers: ['content-type', contentType, ...extraHeaders] });
  stream.on('error', () => undefined);
  stream.end(body);
  const head: ResponseHead = await stream.responseHead();
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return { status: head.status, headers: head.headers, json: text ? JSON.parse(text) : {} };
}

const now = Date.now();
const device = (sn: string, name: string, online: boolean) => ({
  sn,
  name,
  online,
  firmware: `fw-${sn}`,
  area: 'Lobby',
  lastSeenAt: new Date(now - 60_000).toISOString(),
});

describe('broker uplink streams and the Site data page', () => {
  let h: Harness;
  let owner: TestUser;
  let installer: TestUser;
  let orgId: string;
  let session: TunnelSession;

  beforeAll(async () => {
    h = await startHarness({ PUSH_QUEUE_PREFIX: PREFIX });
    owner = await signedUpUser(h, 'owner');
    installer = await signedUpUser(h, 'installer');
    const created = await owner.browser.fetch('/api/v1/companies', { method: 'POST', json: { name: 'Acme Gates' } });
    const company = (await created.json()) as { id: string; slug: string };
    orgId = company.id;
    await owner.browser.fetch(`/api/v1/companies/${orgId}/invitations`, {
      method: 'POST',
      json: { email: installer.email, role: 'installer' },
    });
    const token = await h.mail.link(installer.email, /invitations\/accept\?token=([A-Za-z0-9_-]+)/);
    await installer.browser.fetch('/api/v1/invitations/accept', { method: 'POST', json: { token } });
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const reg = await h.broker.connectors.register({
      orgSlug: company.slug,
      publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    });
    expect(reg.orgId).toBe(orgId);
    session = await connect(h.url, reg.connectorId, privateKey);
  });

  afterAll(async () => {
    session?.close();
    await h?.close();
    await dropRedisPrefix('redis://127.0.0.1:6379', PREFIX);
  });

  it('answers an unknown path 404, a wrong method 405, a wrong media type 415, on that stream only', async () => {
    expect(await uplink(session, 'POST', '/v1/people', '{}')).toMatchObject({
      status: 404,
      json: { code: 'UPLINK_NOT_FOUND' },
    });
    const wrong = await uplink(session, 'GET', '/v1/devices');
    expect(wrong).toMatchObject({ status: 405, json: { code: 'UPLINK_METHOD_NOT_ALLOWED' } });
    expect(wrong.headers).toEqual(expect.arrayContaining(['allow', 'POST']));
    expect(await uplink(session, 'PUT', '/v1/settings', '{}', 'text/plain')).toMatchObject({
      status: 415,
      json: { code: 'UPLINK_UNSUPPORTED_MEDIA_TYPE' },
    });
    // A body sent compressed (or claimed to be) is refused for what it is, not read as garbage.
    const zipped = gzipSync(JSON.stringify({ pushToApp: false, pushDataToCloud: false }));
    expect(
      await uplink(session, 'PUT', '/v1/settings', zipped, 'application/json', ['content-encoding', 'gzip']),
    ).toMatchObject({ status: 415, json: { code: 'UPLINK_UNSUPPORTED_MEDIA_TYPE' } });
    expect(session.state).toBe('open');
  });

  it('answers bad JSON 400, a bad envelope 400, bad items by name, an oversized body 413', async () => {
    expect(await uplink(session, 'POST', '/v1/devices', '{"items":')).toMatchObject({
      status: 400,
      json: { code: 'UPLINK_INVALID_JSON' },
    });
    const envelope = await uplink(session, 'POST', '/v1/event-logs', JSON.stringify({ items: [], since: 1 }));
    expect(envelope).toMatchObject({
      status: 400,
      json: { code: 'UPLINK_VALIDATION_FAILED', message: 'body.since is not a known field' },
    });
    await uplink(session, 'PUT', '/v1/settings', JSON.stringify({ pushToApp: false, pushDataToCloud: true }));
    const items = await uplink(
      session,
      'POST',
      '/v1/event-logs',
      JSON.stringify({ items: [{ id: 1, time: 'yesterday', deviceSn: 'A', personName: 'Ann' }] }),
    );
    expect(items.status).toBe(200);
    expect(items.json).toEqual({
      accepted: [],
      rejected: [
        {
          index: 0,
          id: 1,
          problems: ['items[0].personName is not a known field', 'items[0].time must be an ISO 8601 date-time'],
        },
      ],
    });
    const big = await uplink(session, 'POST', '/v1/notifications', Buffer.alloc(1024 * 1024 + 10, 0x20));
    expect(big).toMatchObject({ status: 413, json: { code: 'UPLINK_PAYLOAD_TOO_LARGE' } });
    expect(session.state).toBe('open');
  });

  it('resets a stream that carries garbage and keeps the session serving', async () => {
    const garbage = uplink(session, 'POST', '/v1/devices', Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x7b]));
    await expect(garbage).rejects.toBeInstanceOf(TunnelError);
    await expect(garbage).rejects.toMatchObject({ code: TunnelErrorCode.PROTOCOL });
    const upgrade = session.openStream({ method: 'GET', path: '/v1/devices', headers: [], upgrade: true });
    upgrade.on('error', () => undefined);
    await expect(upgrade.responseHead()).rejects.toMatchObject({ code: TunnelErrorCode.PROTOCOL });
    expect(session.state).toBe('open');
    expect(
      await uplink(session, 'PUT', '/v1/settings', JSON.stringify({ pushToApp: false, pushDataToCloud: false })),
    ).toMatchObject({ status: 200, json: { pushToApp: false, pushDataToCloud: false } });
  });

  it('shows the pushed devices and the newest 50 event logs to company members', async () => {
    await uplink(session, 'PUT', '/v1/settings', JSON.stringify({ pushToApp: true, pushDataToCloud: true }));
    const devices = await uplink(
      session,
      'POST',
      '/v1/devices',
      JSON.stringify({ items: [device('SN-A1', 'Front gate', true), device('SN-B2', 'Car park <b>', false)] }),
    );
    expect(devices).toMatchObject({ status: 200, json: { accepted: ['SN-A1', 'SN-B2'] } });
    const logs = Array.from({ length: 60 }, (_, i) => ({
      id: `log-${i}`,
      time: new Date(now - (60 - i) * 1000).toISOString(),
      deviceSn: 'SN-A1',
      deviceName: 'Front gate',
      eventCode: i % 2 === 0 ? 0 : 27,
      eventName: i % 2 === 0 ? 'Normal verify open' : 'Unregistered user',
      level: i % 2 === 0 ? 'info' : 'warning',
    }));
    for (let i = 0; i < logs.length; i += 30) {
      const r = await uplink(session, 'POST', '/v1/event-logs', JSON.stringify({ items: logs.slice(i, i + 30) }));
      expect(r.status).toBe(200);
    }

    for (const member of [owner, installer]) {
      const res = await member.browser.fetch(`/portal/companies/${orgId}/site-data`);
      expect(res.status).toBe(200);
      const page = await res.text();
      expect(page).toContain('data-sn="SN-A1"');
      expect(page).toMatch(/Front gate[\s\S]*?<span class="ok">Online<\/span>[\s\S]*?fw-SN-A1/);
      expect(page).toMatch(/Car park &lt;b&gt;[\s\S]*?<span class="error">Offline<\/span>/);
      expect(page).toContain(
        new Date(now - 60_000)
          .toISOString()
          .replace('T', ' ')
          .replace(/\.\d+Z$/, ' UTC'),
      );
      const shown = [...page.matchAll(/class="event-log" data-id="(log-\d+)"/g)].map((m) => m[1]);
      expect(shown).toEqual(Array.from({ length: 50 }, (_, i) => `log-${59 - i}`));
      expect(page.includes('id="delete-site-data"')).toBe(member === owner);
    }
    // Someone outside the company gets the portal's 404 page.
    const stranger = await signedUpUser(h, 'stranger');
    expect((await stranger.browser.fetch(`/portal/companies/${orgId}/site-data`)).status).toBe(404);
  });

  it('lets an owner delete the stored site data (CSRF-checked, audited); an installer may not', async () => {
    const path = `/portal/companies/${orgId}/site-data/delete`;
    const byInstaller = await installer.browser.fetch(path, { method: 'POST', form: {} });
    expect(byInstaller.status).toBe(403);
    const noCsrf = await owner.browser.fetch(path, { method: 'POST', form: {}, headers: { 'x-csrf-token': 'forged' } });
    expect(noCsrf.status).toBe(403);
    expect(await (await owner.browser.fetch(`/portal/companies/${orgId}/site-data`)).text()).toContain(
      'data-sn="SN-A1"',
    );

    const csrf = owner.browser.cookie('lb_csrf') ?? '';
    const ok = await owner.browser.fetch(path, { method: 'POST', form: { _csrf: csrf } });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe(`/portal/companies/${orgId}/site-data?n=deleted`);
    const after = await (await owner.browser.fetch(`/portal/companies/${orgId}/site-data?n=deleted`)).text();
    expect(after).toContain('id="no-devices"');
    expect(after).toContain('id="no-event-logs"');
    expect(after).toContain('Stored site data deleted.');
    const audit = (await (await owner.browser.fetch(`/api/v1/companies/${orgId}/audit`)).json()) as {
      action: string;
      details: unknown;
    }[];
    expect(audit.find((e) => e.action === 'site_data.deleted')?.details).toEqual({ devices: 2, eventLogs: 60 });
  });

  it('stores the valid items of a batch in which one carries U+0000, and rejects that one by name (every kind)', async () => {
    await uplink(session, 'PUT', '/v1/settings', JSON.stringify({ pushToApp: true, pushDataToCloud: true }));
    const logs = Array.from({ length: 5 }, (_, i) => ({
      id: `nul-log-${i}`,
      time: new Date(now - i * 1000).toISOString(),
      deviceSn: 'SN-NUL',
      deviceName: i === 2 ? 'Front\u0000gate' : 'Front gate',
      eventCode: 27,
      eventName: 'Unregistered user',
      level: 'warning',
    }));
    const l = await uplink(session, 'POST', '/v1/event-logs', JSON.stringify({ items: logs }));
    expect(l.status).toBe(200);
    expect(l.json).toEqual({
      accepted: ['nul-log-0', 'nul-log-1', 'nul-log-3', 'nul-log-4'],
      rejected: [{ index: 2, id: 'nul-log-2', problems: ['items[2].deviceName must not contain U+0000'] }],
    });
    const d = await uplink(
      session,
      'POST',
      '/v1/devices',
      JSON.stringify({
        items: [device('SN-N1', 'Gate', true), { ...device('SN-N2', 'Gate', true), firmware: 'v1\u0000' }],
      }),
    );
    expect(d).toMatchObject({
      status: 200,
      json: {
        accepted: ['SN-N1'],
        rejected: [{ index: 1, id: 'SN-N2', problems: [expect.stringMatching(/U\+0000/)] }],
      },
    });
    const n = (id: string, title: string, data: Record<string, unknown> = { doorId: 3 }) => ({
      id,
      recipients: ['admin:1'],
      notification: { type: 'alarm', title, body: 'Door forced', data, createdAt: new Date().toISOString() },
    });
    const notes = await uplink(
      session,
      'POST',
      '/v1/notifications',
      JSON.stringify({
        items: [
          n('nul-n-1', 'ok'),
          n('nul-n-2', 'bad\u0000'),
          n('nul-n-3', 'ok', { 'k\u0000': 1 }),
          n('nul-n-4', 'ok', { deep: ['\u0000'] }),
        ],
      }),
    );
    expect(notes.status).toBe(200);
    expect(notes.json.accepted).toEqual(['nul-n-1']);
    expect((notes.json.rejected as { id: string }[]).map((r) => r.id)).toEqual(['nul-n-2', 'nul-n-3', 'nul-n-4']);
    const pages = await owner.browser.fetch(`/portal/companies/${orgId}/site-data`);
    const page = await pages.text();
    expect(page).toContain('data-sn="SN-N1"');
    expect(page).not.toContain('data-sn="SN-N2"');
    expect(page).toContain('data-id="nul-log-4"');
    expect(session.state).toBe('open');
  });
});
