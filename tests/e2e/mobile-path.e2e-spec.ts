/**
 * The mobile path through the cloud, end to end: access-core with the demo site, a cloud
 * broker, an edge connector (real processes from dist/), simulated terminals speaking PUSH over
 * HTTP, a real SMTP sink and a local Web Push service; every feature of both roles driven
 * through the mobile SDK and the broker — from scanning the organisation QR PNG on.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import {
  createNodeClient,
  decodeQrImage,
  isLanbridgeError,
  type LanbridgeClient,
  type StreamEvent,
} from '@lanbridge/mobile-sdk/node';
import { SimulatedTerminal } from '@lanbridge/terminal-simulator';
import {
  type SiteStack,
  type SmtpSink,
  startSiteStack,
  startSmtpSink,
  TEST_DATABASE_URL,
  waitFor,
} from '@lanbridge/testing';

// http_ece has no type declarations; it is the RFC 8188/8291 implementation web-push uses.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ece = require('http_ece') as {
  decrypt(body: Buffer, params: { version: string; privateKey: crypto.ECDH; authSecret: string }): Buffer;
};

jest.setTimeout(120_000);

/** A Web Push service (RFC 8030) on 127.0.0.1 holding the browser's keys, so it can decrypt. */
interface PushService {
  readonly endpoint: string;
  readonly keys: { p256dh: string; auth: string };
  readonly received: unknown[];
  close(): Promise<void>;
}

async function startPushService(): Promise<PushService> {
  const ecdh = crypto.createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = crypto.randomBytes(16).toString('base64url');
  const received: unknown[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const plain = ece.decrypt(Buffer.concat(chunks), { version: 'aes128gcm', privateKey: ecdh, authSecret: auth });
      received.push(JSON.parse(plain.toString('utf8')));
      res.writeHead(201).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}/push/${crypto.randomBytes(8).toString('hex')}`,
    keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth },
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Waits until a live stream reports it is open. */
const opened = (status: readonly string[]): Promise<void> =>
  waitFor('stream open', () => Promise.resolve(status.includes('open')), 15_000);

/** Opens the door of an open command (`CONTROL DEVICE 01 <door> 01 <seconds>`). */
const isOpenCommand = (text: string, door: number): boolean =>
  new RegExp(`CONTROL DEVICE 01${String(door).padStart(2, '0')}01`).test(text);

describe('the mobile path through the cloud', () => {
  let stack: SiteStack;
  let sink: SmtpSink;
  let pg: Client;
  const terminals = new Map<string, SimulatedTerminal>();
  let push: PushService;
  let admin: LanbridgeClient;
  let ana: LanbridgeClient;
  let qrText: string;

  const newClient = (): LanbridgeClient =>
    createNodeClient({
      trustedIssuers: [{ issuer: stack.brokerUrl }],
      commandDeadlineMs: 60_000,
      commandRetryInitialDelayMs: 200,
      commandRetryMaxDelayMs: 1_000,
    });
  const terminal = (i: number): SimulatedTerminal => terminals.get(stack.demo.devices[i].sn)!;

  beforeAll(async () => {
    sink = await startSmtpSink();
    push = await startPushService();
    stack = await startSiteStack({
      prefix: 'mobile_path',
      accessCoreEnv: { MOBILE_COMMAND_WAIT_MS: '3000', DEVICE_OFFLINE_AFTER_MS: '4000' },
      brokerEnv: {
        INGRESS_SIGNIN_MAX_PER_IP: '40',
        INGRESS_SIGNIN_WINDOW_S: '600',
        // The local Web Push service is plain http on loopback: listed by host and port, with
        // the test-only setting that allows that (the broker refuses it in production).
        PUSH_ENDPOINT_HOSTS: new URL(push.endpoint).host,
        PUSH_ENDPOINT_ALLOW_INSECURE: 'true',
      },
    });
    pg = new Client({ connectionString: TEST_DATABASE_URL });
    await pg.connect();
    for (const d of stack.demo.devices) {
      const t = new SimulatedTerminal({
        serverUrl: stack.accessCoreUrl,
        sn: d.sn,
        doorCount: d.doors,
        requestDelayMs: 300,
      });
      t.on('error', () => undefined);
      terminals.set(d.sn, t);
      await t.start();
    }
    await Promise.all([...terminals.values()].map((t) => t.waitOnline(30_000)));
  });

  afterAll(async () => {
    await Promise.all([...terminals.values()].map((t) => t.stop().catch(() => undefined)));
    await stack?.stop();
    await pg?.end();
    await sink?.close();
    await push?.close();
  });

  it('scans the organisation QR PNG, verifies it against the pinned broker and shows the organisation', async () => {
    // The connector's page serves the QR the broker sent it; it pins the site key once the
    // broker has learnt it through the tunnel.
    const qrUrl = stack.connectorStatusUrl.replace(/\/status$/, '/org-qr.png');
    await waitFor(
      'a QR pinning the site key',
      async () => {
        const res = await fetch(qrUrl);
        if (res.status !== 200) return false;
        qrText = decodeQrImage(Buffer.from(await res.arrayBuffer()));
        const claims = JSON.parse(Buffer.from(qrText.split('#')[1].split('.')[1], 'base64url').toString()) as {
          skt?: string;
        };
        return typeof claims.skt === 'string';
      },
      30_000,
    );
    admin = newClient();
    const org = await admin.scan(qrText);
    expect(org.name).toBeTruthy();
    expect(org.api).toBe(stack.apiUrl);
    expect(org.skt).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const jwks = (await (await fetch(`${stack.accessCoreUrl}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string; use: string }[];
    };
    expect(jwks.keys.find((k) => k.use === 'sig')?.kid).toBe(org.skt);
  });

  it('refuses a QR from a broker the app does not trust, before any credential is sent', async () => {
    const untrusting = createNodeClient({ trustedIssuers: [{ issuer: 'https://broker.example.com' }] });
    await expect(untrusting.scan(qrText)).rejects.toMatchObject({ code: 'QR_UNTRUSTED_ISSUER' });
  });

  it('signs in as administrator through the tunnel (credentials encrypted to the site) and sees the dashboard', async () => {
    const session = await admin.login({ type: 'admin', username: 'admin', password: stack.adminPassword });
    expect(session.role).toBe('admin');
    const dash = await admin.dashboard.get();
    expect(dash).toMatchObject({ devices: expect.objectContaining({ total: 4 }) });
    await waitFor('all terminals online on the dashboard', async () => {
      const d = await admin.devices.list();
      return d.items.length === 4 && d.items.every((x) => x.online);
    });
  });

  it('refuses personnel whose App Login an administrator turned off with "Unauthorized APP login"', async () => {
    const [wei] = await admin.hosts.search('1002');
    await admin.people.setAppLogin(wei.id, false);
    try {
      const c = newClient();
      await c.scan(qrText);
      const err: unknown = await c
        .login({ type: 'personnel', pin: '1002', password: stack.personPassword })
        .catch((e: unknown) => e);
      expect(isLanbridgeError(err) && err.code).toBe('APP_LOGIN_DISABLED');
      expect((err as Error).message).toContain('Unauthorized APP login');
    } finally {
      await admin.people.setAppLogin(wei.id, true);
    }
  });

  it('delivers a live alarm from a forced door, and the administrator confirms it', async () => {
    const events: StreamEvent[] = [];
    const status: string[] = [];
    const live = admin.watch({ onEvent: (e) => void events.push(e), onStatus: (st) => void status.push(st.state) });
    try {
      await opened(status);
      await terminal(0).forceDoor(2);
      await waitFor('alarm on the stream', () => Promise.resolve(events.some((e) => e.type === 'alarm')), 15_000);
      const alarm = events.find((e) => e.type === 'alarm')!.data as {
        id: string;
        eventCode: number;
        description: string;
      };
      expect(alarm.eventCode).toBe(102);
      const before = await admin.alarms.summary();
      const confirmed = await admin.alarms.confirm(alarm.id, 'guard checked the door');
      expect(confirmed).toMatchObject({ confirmed: true, remark: 'guard checked the door' });
      const after = await admin.alarms.summary();
      expect(after.confirmed).toBe(before.confirmed + 1);
      await terminal(0).closeDoor(2);
    } finally {
      live.close();
    }
  });

  it('unlocks a door and the terminal opens it', async () => {
    const doors = await admin.doors.list({ q: stack.demo.devices[1].alias });
    const door = doors.items[0];
    const opened = new Promise<string>((resolve) =>
      terminal(1).on('command', (o: { text: string }) => {
        if (isOpenCommand(o.text, door.doorNo)) resolve(o.text);
      }),
    );
    const outcome = await admin.doors.unlock(door.id, 5);
    expect(outcome.status).toBe('acked');
    await opened;
    expect(terminal(1).door(door.doorNo).relayOpen).toBe(true);
  });

  it('runs a lockdown: every door of the group is locked on the terminals, then released', async () => {
    const [group] = await admin.lockdown.groups();
    const active = await admin.lockdown.activate(group.id);
    expect(active.status).toBe('Under Lockdown');
    await waitFor(
      'terminals locked down',
      () => Promise.resolve([...terminals.values()].every((t) => t.door(1).lockedDown)),
      20_000,
    );
    const refused = await terminal(3).swipeCard('100100', 1);
    expect(refused[0].code).toBe(63);
    const cancelled = await admin.lockdown.cancel(group.id);
    expect(cancelled.status).toBe('Normal');
    await waitFor(
      'terminals released',
      () => Promise.resolve([...terminals.values()].every((t) => !t.door(1).lockedDown)),
      20_000,
    );
  });

  it('lists access records with the person who opened the door', async () => {
    const [granted] = await terminal(2).swipeCard('100100', 1);
    expect(granted.code).toBe(0);
    await waitFor('record listed', async () => {
      const r = await admin.accessRecords.list();
      return r.items.some((x) => x.pin === '1001' && x.granted);
    });
  });

  it('registers a visitor, checks them in, and the statistics count the visit', async () => {
    const [host] = await admin.hosts.search('1002');
    const visit = await admin.visits.register({
      name: 'Vera Visitor',
      contact: '+34 600 000 000',
      idNumber: 'X1234567',
      hostPersonId: host.id,
      startAt: new Date().toISOString(),
      reason: 'Delivery',
    });
    expect(visit.status).toBe('reserved');
    const inside = await admin.visits.checkIn(visit.id);
    expect(inside.status).toBe('checked_in');
    const list = await admin.visits.list({ q: 'Vera' });
    expect(list.items.map((v) => v.id)).toContain(visit.id);
    const summary = await admin.visits.summary();
    expect(summary).toMatchObject({ visitors: expect.any(Number) });
    expect((summary as unknown as { visitors: number }).visitors).toBeGreaterThanOrEqual(1);
  });

  it('personnel: signs in, shows a dynamic QR that a terminal accepts, and invites a visitor by mail', async () => {
    // The site's outgoing mail server (set on-prem, on the LAN).
    const lan = await fetch(`${stack.accessCoreUrl}/api/v1/settings/mail-server`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await admin.accessToken()}` },
      body: JSON.stringify({ host: '127.0.0.1', port: sink.port, secure: false, from: 'Front desk <desk@site.test>' }),
    });
    expect(lan.status).toBe(200);

    ana = newClient();
    await ana.scan(qrText);
    const s = await ana.login({ type: 'personnel', pin: '1001', password: stack.personPassword });
    expect(s.role).toBe('personnel');

    const qr = await ana.credentials.qr();
    expect(qr.code).toMatch(/^LBQ1\.1001\.\d{8}$/);
    const [byQr] = await terminal(0).verifyQr(qr.code, 1);
    expect(byQr.code).toBe(0);

    const start = new Date(Date.now() - 60_000);
    const created = await ana.invitations.create({
      firstName: 'Iris',
      lastName: 'Guest',
      email: 'iris@example.test',
      startAt: start.toISOString(),
      endAt: new Date(start.getTime() + 4 * 3600_000).toISOString(),
      reason: 'Meeting',
    });
    await waitFor('invitation mail', () =>
      Promise.resolve(sink.mails.some((m) => JSON.stringify(m.to).includes('iris@example.test'))),
    );
    const mail = sink.mails.find((m) => JSON.stringify(m.to).includes('iris@example.test'))!;
    expect(mail.subject).toBeTruthy();
    expect(created.qr.code).toMatch(/^LBI1\./);
    const [first] = await terminal(0).verifyQr(created.qr.code, 1);
    expect(first.code).toBe(0);
    const [again] = await terminal(0).verifyQr(created.qr.code, 1);
    expect(again.code).toBe(44);
    const mine = await ana.invitations.list();
    expect(mine.items.map((i) => i.id)).toContain(created.invitation.id);
  });

  it('personnel receive their own verification events live and in the Notification Center', async () => {
    await ana.me.setNotifications(true);
    const events: StreamEvent[] = [];
    const status: string[] = [];
    const live = ana.watch({ onEvent: (e) => void events.push(e), onStatus: (st) => void status.push(st.state) });
    try {
      await opened(status);
      await terminal(1).swipeCard('100100', 1);
      await waitFor('own notification', () => Promise.resolve(events.some((e) => e.type === 'notification')), 15_000);
      const list = await ana.notifications.list();
      expect(list.items.length).toBeGreaterThan(0);
      // Nobody else's events: Wei (1002) swipes; Ana is not Wei's guardian.
      const before = events.length;
      await terminal(1).swipeCard('100200', 1);
      await new Promise((r) => setTimeout(r, 1500));
      expect(events.slice(before).filter((e) => e.type === 'notification')).toHaveLength(0);
    } finally {
      live.close();
    }
  });

  it('sends a Web Push to the administrator’s device when cloud push is on; it decrypts to the alarm', async () => {
    await admin.me.setNotifications(true);
    await admin.call({ method: 'PUT', path: '/api/v1/settings/cloud', body: { pushToApp: true } });
    const sub = await admin.registerPush({ endpoint: push.endpoint, keys: push.keys });
    expect(sub.id).toBeTruthy();
    await terminal(3).forceDoor(1);
    await waitFor('a push message', () => Promise.resolve(push.received.length > 0), 30_000);
    const msg = push.received[0] as { notification: { type: string; title: string; body: string } };
    expect(msg.notification.type).toBe('alarm');
    expect(`${msg.notification.title} ${msg.notification.body}`).toMatch(/forcefully/i);
    await terminal(3).closeDoor(1);
  });

  it('refuses to sign in through a tampering broker and never lets it see the password', async () => {
    // A relay in front of the broker that rewrites the site's hello with a key of its own.
    const fake = crypto.generateKeyPairSync('ed25519');
    const seenBodies: string[] = [];
    const relay = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        seenBodies.push(body.toString('utf8'));
        const up = http.request(
          `${stack.brokerUrl}${req.url ?? '/'}`,
          { method: req.method, headers: { ...req.headers, host: new URL(stack.brokerUrl).host } },
          (upRes) => {
            const out: Buffer[] = [];
            upRes.on('data', (c: Buffer) => out.push(c));
            upRes.on('end', () => {
              let text = Buffer.concat(out).toString('utf8');
              if ((req.url ?? '').endsWith('/api/v1/auth/hello') && upRes.statusCode === 200) {
                const { hello } = JSON.parse(text) as { hello: string };
                const [h, p] = hello.split('.');
                const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>;
                header.jwk = { kty: 'OKP', crv: 'Ed25519', x: fake.publicKey.export({ format: 'jwk' }).x };
                const h2 = Buffer.from(JSON.stringify(header)).toString('base64url');
                const sig = crypto.sign(null, Buffer.from(`${h2}.${p}`), fake.privateKey).toString('base64url');
                text = JSON.stringify({ hello: `${h2}.${p}.${sig}` });
              }
              const headers = { ...upRes.headers };
              delete headers['content-length'];
              res.writeHead(upRes.statusCode ?? 502, headers).end(text);
            });
          },
        );
        up.end(body);
      });
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    try {
      const victim = newClient();
      const org = await victim.scan(qrText);
      // The app is served by the relay (it sits on the path to the broker).
      victim.useOrganisation({
        ...org,
        api: `http://127.0.0.1:${(relay.address() as AddressInfo).port}/t/${stack.orgSlug}`,
      });
      const err: unknown = await victim
        .login({ type: 'admin', username: 'admin', password: stack.adminPassword })
        .catch((e: unknown) => e);
      expect(isLanbridgeError(err) && err.code).toBe('E2E_SITE_NOT_VERIFIED');
      expect(seenBodies.join('\n')).not.toContain(stack.adminPassword);
      expect(seenBodies.some((b) => b.includes('"jwe"'))).toBe(false);
    } finally {
      await new Promise<void>((r) => relay.close(() => r()));
    }
  });

  it('a session of this site never reaches another organisation', async () => {
    const res = await fetch(`${stack.brokerUrl}/t/no-such-org/api/v1/me`, {
      headers: { authorization: `Bearer ${await admin.accessToken()}` },
    });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe('ORG_NOT_FOUND');
  });

  it('tunnel cut while a terminal raises 100 events and an unlock is retried: every event once, one open command', async () => {
    const seen: string[] = [];
    const alarms: StreamEvent[] = [];
    const status: string[] = [];
    const live = admin.watch({
      onStatus: (st) => void status.push(st.state),
      onEvent: (e) => {
        if (e.id) seen.push(e.id);
        if (e.type === 'alarm') alarms.push(e);
      },
      reconnectInitialDelayMs: 200,
      reconnectMaxDelayMs: 1_000,
    });
    try {
      await opened(status);
      const doors = await admin.doors.list({ q: stack.demo.devices[3].alias });
      const door = doors.items[0];
      const t = terminal(3);
      let opens = 0;
      t.on('command', (o: { text: string; duplicate: boolean }) => {
        if (isOpenCommand(o.text, door.doorNo) && !o.duplicate) opens++;
      });
      const key = `e2e-${crypto.randomUUID()}`;
      const before = alarms.length;

      // The unlock reaches the site; the tunnel is cut before its answer comes back.
      let unlockError: unknown;
      const unlock = admin.doors.unlock(door.id, 3, { idempotencyKey: key });
      unlock.catch((e: unknown) => (unlockError = e));
      const schema = stack.accessCoreEnv.DATABASE_SCHEMA;
      await waitFor(
        'the command stored on the site',
        async () => {
          if (unlockError !== undefined)
            throw unlockError instanceof Error ? unlockError : new Error(JSON.stringify(unlockError));
          const r = await pg.query(`select 1 from "${schema}".device_command where idempotency_key like $1`, [
            `%:${key}`,
          ]);
          return r.rowCount === 1;
        },
        15_000,
      );
      await stack.stopConnector('SIGKILL');
      // 100 events at the site while the tunnel is down (the terminal talks to access-core on the LAN).
      for (let i = 0; i < 100; i++) void t.swipeCard('99999999', 1);
      await t.flush();
      await new Promise((r) => setTimeout(r, 1000));
      await stack.startConnector();
      await stack.waitConnectorOnline();

      const outcome = await unlock;
      expect(outcome.status).toBe('acked');
      await waitFor('100 alarms after reconnection', () => Promise.resolve(alarms.length - before >= 100), 60_000);
      await new Promise((r) => setTimeout(r, 1500));
      expect(alarms.length - before).toBe(100);
      expect(new Set(seen).size).toBe(seen.length);
      expect(opens).toBe(1);
    } finally {
      live.close();
    }
  });

  it('throttles sign-in per client address at the broker', async () => {
    const c = newClient();
    await c.scan(qrText);
    let throttled: unknown;
    for (let i = 0; i < 60 && !throttled; i++) {
      await c.login({ type: 'admin', username: 'admin', password: 'wrong password' }).catch((e: unknown) => {
        if (isLanbridgeError(e) && e.code === 'RATE_LIMITED') throttled = e;
      });
    }
    expect(throttled).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
  });
});
