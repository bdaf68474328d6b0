/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- response bodies are checked by expect(), not by types */
import { createPublicKey, verify } from 'node:crypto';
import type { SimulatedTerminal } from '@lanbridge/terminal-simulator';
import {
  ADMIN_PASSWORD,
  Api,
  login,
  startSite,
  startTerminal,
  StreamClient,
  TINY_PNG,
  waitFor,
  type Site,
} from './mobile-harness';

type Json = Record<string, any>;

describe('mobile API: administrator', () => {
  let site: Site;
  let admin: Api;
  let anon: Api;
  let t1: SimulatedTerminal;

  beforeAll(async () => {
    site = await startSite('mobile_admin');
    anon = new Api(site.url);
    admin = await login(site.url, { type: 'admin', username: 'admin', password: ADMIN_PASSWORD });
    t1 = await startTerminal(site, 'MOBADM0000001', 2);
  }, 60_000);

  afterAll(async () => {
    await site?.stop();
  });

  describe('sign-in and tokens', () => {
    it('issues an EdDSA access token the JWKS verifies, and a refresh token', async () => {
      const r = await anon.post<Json>('/api/v1/auth/login', {
        type: 'admin',
        username: 'admin',
        password: ADMIN_PASSWORD,
      });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, role: 'admin' });
      const [h, p, s] = (r.body.accessToken as string).split('.');
      const header = JSON.parse(Buffer.from(h, 'base64url').toString());
      const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
      expect(header).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt', kid: expect.any(String) });
      expect(claims).toMatchObject({ iss: r.body.siteId, aud: 'lanbridge-mobile', role: 'admin', name: 'admin' });
      expect(claims.exp - claims.iat).toBeLessThanOrEqual(900);
      const jwks = await anon.get<{ keys: Json[] }>('/.well-known/jwks.json');
      const jwk = jwks.body.keys.find((k) => k.kid === header.kid)!;
      const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' });
      expect(verify(null, Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'))).toBe(true);
    });

    it('refuses a wrong password with 401 INVALID_CREDENTIALS and no token', async () => {
      const r = await anon.post<Json>('/api/v1/auth/login', { type: 'admin', username: 'admin', password: 'nope' });
      expect(r.status).toBe(401);
      expect(r.body).toMatchObject({ code: 'INVALID_CREDENTIALS' });
      expect(r.body.accessToken).toBeUndefined();
    });

    it('validates the login body', async () => {
      const r = await anon.post<Json>('/api/v1/auth/login', {
        type: 'root',
        username: 'admin',
        password: 'x',
        extra: 1,
      });
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('VALIDATION_FAILED');
    });

    it('throttles an account after 3 failures with 429 RATE_LIMITED and Retry-After', async () => {
      const bad = { type: 'admin', username: 'nobody', password: 'wrong' };
      for (let i = 0; i < 3; i++) expect((await anon.post('/api/v1/auth/login', bad)).status).toBe(401);
      const r = await anon.post<Json>('/api/v1/auth/login', bad);
      expect(r.status).toBe(429);
      expect(r.body.code).toBe('RATE_LIMITED');
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    });

    it('rotates refresh tokens and revokes the session when a used one is replayed', async () => {
      const first = await anon.post<Json>('/api/v1/auth/login', {
        type: 'admin',
        username: 'admin',
        password: ADMIN_PASSWORD,
      });
      const second = await anon.post<Json>('/api/v1/auth/refresh', { refreshToken: first.body.refreshToken });
      expect(second.status).toBe(200);
      expect(second.body.refreshToken).not.toBe(first.body.refreshToken);
      const replay = await anon.post<Json>('/api/v1/auth/refresh', { refreshToken: first.body.refreshToken });
      expect(replay.status).toBe(401);
      expect(replay.body.code).toBe('INVALID_REFRESH_TOKEN');
      // The replay revoked the family: the newest tokens stop working too.
      expect((await anon.post('/api/v1/auth/refresh', { refreshToken: second.body.refreshToken })).status).toBe(401);
      expect((await new Api(site.url, second.body.accessToken).get('/api/v1/me')).status).toBe(401);
    });

    it('logs out: the access token stops working at once', async () => {
      const a = await login(site.url, { type: 'admin', username: 'admin', password: ADMIN_PASSWORD });
      expect((await a.get('/api/v1/me')).status).toBe(200);
      expect((await a.post('/api/v1/auth/logout')).status).toBe(204);
      const r = await a.get<Json>('/api/v1/me');
      expect(r.status).toBe(401);
      expect(r.body.code).toBe('UNAUTHENTICATED');
    });

    it('refuses requests without or with a forged token', async () => {
      expect((await anon.get<Json>('/api/v1/dashboard')).body.code).toBe('UNAUTHENTICATED');
      const forged = new Api(site.url, `${admin.token!.slice(0, -4)}AAAA`);
      expect((await forged.get('/api/v1/dashboard')).status).toBe(401);
    });
  });

  it('serves the OpenAPI document', async () => {
    const r = await anon.get<Json>('/openapi.json');
    expect(r.status).toBe(200);
    expect(r.body.openapi).toMatch(/^3\./);
    for (const path of [
      '/api/v1/auth/login',
      '/api/v1/alarms',
      '/api/v1/doors/{id}/unlock',
      '/api/v1/invitations',
      '/api/v1/me/credential-qr',
      '/api/v1/devices',
      '/api/v1/devices/{id}/approve',
      '/api/v1/devices/{id}/reject',
      '/api/v1/push/rejected-lines',
      '/api/v1/push/rejected-lines/{id}',
      '/api/v1/people/{id}/photo',
    ]) {
      expect(r.body.paths[path]).toBeDefined();
    }
    expect(Object.keys(r.body.paths).filter((p) => p.startsWith('/iclock'))).toEqual([]);
    const approval = r.body.paths['/api/v1/devices'].get.parameters.find((p: Json) => p.name === 'approval');
    expect(approval.schema.enum).toEqual(['pending', 'approved', 'rejected']);
  });

  describe('people and settings', () => {
    it("exports one person's data and erases it, ending their app sessions", async () => {
      const created = await admin.post<Json>('/api/v1/people', {
        pin: '5099',
        firstName: 'Erin',
        lastName: 'Erase',
        cardNo: '55550099',
        appLoginEnabled: true,
        password: 'erin-password-1',
      });
      expect(created.status).toBe(201);
      const id = created.body.id as string;
      const erin = await login(site.url, { type: 'personnel', pin: '5099', password: 'erin-password-1' });
      expect((await erin.get<Json>('/api/v1/me')).status).toBe(200);

      const exported = await admin.get<Json>(`/api/v1/people/${id}/export`);
      expect(exported.status).toBe(200);
      expect(JSON.stringify(exported.body)).toContain('5099');
      expect(JSON.stringify(exported.body)).toContain('Erin');

      const erased = await admin.call('DELETE', `/api/v1/people/${id}`);
      expect(erased.status).toBe(204);
      expect((await admin.get<Json>(`/api/v1/people/${id}`)).status).toBe(404);
      expect((await admin.get<Json>(`/api/v1/people/${id}/export`)).status).toBe(404);
      // Their session is gone and the credentials no longer exist.
      expect((await erin.get<Json>('/api/v1/me')).status).toBe(401);
      const again = await new Api(site.url).post<Json>('/api/v1/auth/login', {
        type: 'personnel',
        pin: '5099',
        password: 'erin-password-1',
      });
      expect(again.status).toBe(401);
      const log = await site.pg.query(
        `SELECT action, ip, user_agent FROM "${site.schema}".operation_log WHERE target = 'person:5099' ORDER BY at`,
      );
      expect(log.rows).toEqual([
        { action: 'person.create', ip: expect.any(String), user_agent: 'lanbridge-mobile-test/1.0' },
        { action: 'person.export', ip: expect.any(String), user_agent: 'lanbridge-mobile-test/1.0' },
        { action: 'person.erase', ip: expect.any(String), user_agent: 'lanbridge-mobile-test/1.0' },
      ]);
    });

    it('creates a person, finds them as a host, toggles App Login, and logs who did it', async () => {
      const r = await admin.post<Json>('/api/v1/people', {
        pin: '5001',
        firstName: 'Ada',
        lastName: 'Lovelace',
        cardNo: '12345678',
        department: 'Engineering',
        appLoginEnabled: false,
        password: 'ada-password-1',
      });
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({
        pin: '5001',
        name: 'Ada Lovelace',
        department: 'Engineering',
        appLoginEnabled: false,
        passwordSet: true,
      });
      expect((await admin.post<Json>('/api/v1/people', { pin: '5001', firstName: 'Dup' })).body.code).toBe('CONFLICT');
      const hosts = await admin.get<Json[]>('/api/v1/hosts?q=lovel');
      expect(hosts.body).toEqual([{ id: r.body.id, pin: '5001', name: 'Ada Lovelace' }]);
      expect((await admin.get<Json[]>('/api/v1/hosts?q=500')).body.map((h) => h.pin)).toEqual(['5001']);
      const on = await admin.put<Json>(`/api/v1/people/${r.body.id}/app-login`, { enabled: true });
      expect(on.body.appLoginEnabled).toBe(true);
      const log = await site.pg.query(
        `SELECT actor, action, ip, user_agent FROM "${site.schema}".operation_log WHERE target = 'person:5001' ORDER BY at`,
      );
      expect(log.rows).toEqual([
        {
          actor: 'operator:admin',
          action: 'person.create',
          ip: expect.stringMatching(/127\.0\.0\.1/),
          user_agent: 'lanbridge-mobile-test/1.0',
        },
        {
          actor: 'operator:admin',
          action: 'person.app-login.enable',
          ip: expect.any(String),
          user_agent: 'lanbridge-mobile-test/1.0',
        },
      ]);
    });

    it('stores the mail server with the password encrypted, never returning it', async () => {
      const r = await admin.put<Json>('/api/v1/settings/mail-server', {
        host: 'smtp.example.test',
        port: 587,
        secure: false,
        user: 'desk',
        password: 'smtp-secret',
        from: 'Front desk <desk@example.test>',
      });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ configured: true, host: 'smtp.example.test', passwordSet: true });
      expect(JSON.stringify(r.body)).not.toContain('smtp-secret');
      const raw = await site.pg.query(
        `SELECT value::text AS v FROM "${site.schema}".site_setting WHERE key = 'mail.server'`,
      );
      expect(raw.rows[0].v).not.toContain('smtp-secret');
      expect(
        (
          await admin.put<Json>('/api/v1/settings/mail-server', {
            host: 'bad host!',
            port: 0,
            secure: 'yes',
            from: 'x',
          })
        ).status,
      ).toBe(400);
      expect((await admin.call('DELETE', '/api/v1/settings/mail-server')).status).toBe(204);
      expect((await admin.get<Json>('/api/v1/settings/mail-server')).body.configured).toBe(false);
    });

    it('keeps the cloud settings', async () => {
      // No CLOUD_UPLINK_URL on this site: the uplink reports not-configured and nothing is queued.
      const uplink = { uplink: 'not-configured', pending: 0, lastError: null };
      expect((await admin.get<Json>('/api/v1/settings/cloud')).body).toEqual({
        pushToApp: false,
        pushDataToCloud: false,
        ...uplink,
      });
      const r = await admin.put<Json>('/api/v1/settings/cloud', { pushToApp: true });
      expect(r.body).toEqual({ pushToApp: true, pushDataToCloud: false, ...uplink });
      // The broker is the connector's setting (chosen at activation); the site stores no copy of it.
      const stale = await admin.put<Json>('/api/v1/settings/cloud', { brokerUri: 'wss://broker.example.test' });
      expect(stale.status).toBe(400);
      expect(stale.body.details).toEqual([{ field: 'brokerUri', problems: ['property brokerUri should not exist'] }]);
    });
  });

  describe('dashboard, alarms, remote control', () => {
    it('counts people, devices and visitors, and lists devices by status and area', async () => {
      const d = await admin.get<Json>('/api/v1/dashboard');
      expect(d.status).toBe(200);
      expect(d.body).toMatchObject({ people: expect.any(Number), devices: { total: 1, online: 1, offline: 0 } });
      const online = await admin.get<Json>('/api/v1/devices?status=online');
      expect(online.body.items).toEqual([expect.objectContaining({ sn: 'MOBADM0000001', online: true })]);
      const areaId = online.body.items[0].areaId as string;
      expect((await admin.get<Json>(`/api/v1/dashboard?areaId=${areaId}`)).body.devices.total).toBe(1);
      expect((await admin.get<Json>('/api/v1/devices?status=offline')).body.total).toBe(0);
      expect((await admin.get<Json>('/api/v1/devices?pageSize=101')).status).toBe(400);
    });

    it('streams a live alarm to an admin, lists it, shows details and confirms it once', async () => {
      const stream = await StreamClient.open(site.url, admin.token!, 'protocol');
      const person = await login(site.url, { type: 'personnel', pin: '5001', password: 'ada-password-1' });
      const personStream = await StreamClient.open(site.url, person.token!, 'message');
      try {
        await t1.forceDoor(1);
        await waitFor('alarm on the stream', () => Promise.resolve(stream.of('alarm').length > 0), 10_000);
        const live = stream.of('alarm')[0].data as Json;
        expect(live).toMatchObject({ level: 'alarm', confirmed: false, deviceName: expect.any(String) });
        expect(live.description).toMatch(/ on /);
        await new Promise((r) => setTimeout(r, 300));
        expect(personStream.of('alarm')).toEqual([]);

        const summary = await admin.get<Json>('/api/v1/alarms/summary');
        expect(summary.body.total).toBeGreaterThanOrEqual(1);
        expect(summary.body.unconfirmed).toBeGreaterThanOrEqual(1);
        const list = await admin.get<Json>(
          `/api/v1/alarms?today=true&level=alarm&q=${encodeURIComponent(live.eventName as string)}`,
        );
        expect(list.body.items.map((a: Json) => a.id)).toContain(live.id);
        expect((await admin.get<Json>('/api/v1/alarms?q=no-such-thing-anywhere')).body.total).toBe(0);
        const byDevice = await admin.get<Json>(`/api/v1/alarms?resource=device&resourceId=${live.deviceId}`);
        expect(byDevice.body.total).toBeGreaterThanOrEqual(1);

        const detail = await admin.get<Json>(`/api/v1/alarms/${live.id}`);
        expect(detail.body).toMatchObject({
          id: live.id,
          deviceSn: 'MOBADM0000001',
          areaName: expect.any(String),
          source: expect.any(String),
        });
        const pic = await fetch(`${site.url}${detail.body.pictureUrl}`, {
          headers: { authorization: `Bearer ${admin.token}` },
        });
        expect(pic.status).toBe(200);
        expect(pic.headers.get('content-type')).toMatch(/^image\//);

        const ok = await admin.post<Json>(`/api/v1/alarms/${live.id}/confirm`, { remark: 'checked on camera' });
        expect(ok.body).toMatchObject({ confirmed: true, confirmedBy: 'admin', remark: 'checked on camera' });
        expect((await admin.post<Json>(`/api/v1/alarms/${live.id}/confirm`, {})).body.code).toBe('CONFLICT');
        expect((await admin.get<Json>('/api/v1/alarms?confirmed=true')).body.items.map((a: Json) => a.id)).toContain(
          live.id,
        );
        const inbox = await admin.get<Json>('/api/v1/notifications');
        expect(inbox.body.items).toContainEqual(
          expect.objectContaining({ kind: 'alarm', eventId: live.eventId, read: false }),
        );
      } finally {
        stream.close();
        personStream.close();
      }
    });

    it("unlocks a door, reports the terminal's result, and never acts twice for one Idempotency-Key", async () => {
      const doors = await admin.get<Json>('/api/v1/doors');
      const door = doors.body.items.find((d: Json) => d.doorNo === 2);
      expect(door).toMatchObject({ deviceOnline: true });
      const r = await admin.post<Json>(
        `/api/v1/doors/${door.id}/unlock`,
        { seconds: 3 },
        { 'Idempotency-Key': 'unlock-1' },
      );
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ status: 'acked', returnCode: 0 });
      expect(t1.door(2).relayOpen).toBe(true);
      const again = await admin.post<Json>(
        `/api/v1/doors/${door.id}/unlock`,
        { seconds: 3 },
        { 'Idempotency-Key': 'unlock-1' },
      );
      expect(again.body.commandId).toBe(r.body.commandId);
      const cmds = await site.pg.query(
        `SELECT count(*)::int AS n FROM "${site.schema}".device_command WHERE kind = 'open-door'`,
      );
      expect(cmds.rows[0].n).toBe(1);
      expect(
        (await admin.post<Json>(`/api/v1/doors/${door.id}/unlock`, {}, { 'Idempotency-Key': 'bad key!' })).status,
      ).toBe(400);
      const cancel = await admin.post<Json>(`/api/v1/doors/${door.id}/cancel-alarm`, {});
      expect(cancel.body).toMatchObject({ status: 'acked' });
    });

    it('locks down a preconfigured group and cancels it', async () => {
      const doors = (await admin.get<Json>('/api/v1/doors')).body.items as Json[];
      const g = await site.pg.query<{ id: string }>(
        `INSERT INTO "${site.schema}".lockdown_group (name) VALUES ('Whole building') RETURNING id`,
      );
      for (const d of doors) {
        await site.pg.query(`INSERT INTO "${site.schema}".lockdown_group_door VALUES ($1, $2)`, [g.rows[0].id, d.id]);
      }
      const groups = await admin.get<Json[]>('/api/v1/lockdown/groups');
      expect(groups.body).toEqual([
        expect.objectContaining({ name: 'Whole building', status: 'Normal', doorCount: doors.length }),
      ]);
      const on = await admin.post<Json>(`/api/v1/lockdown/groups/${g.rows[0].id}/activate`);
      expect(on.body).toMatchObject({ active: true, status: 'Under Lockdown', activatedBy: 'operator:admin' });
      await waitFor(
        'doors locked on the terminal',
        () => Promise.resolve(t1.door(1).lockedDown && t1.door(2).lockedDown),
        10_000,
      );
      // A remote unlock while the door is under lockdown is refused, and nothing reaches the terminal.
      const openDoors = async (): Promise<number> =>
        (await site.pg.query(`SELECT count(*)::int AS n FROM "${site.schema}".device_command WHERE kind = 'open-door'`))
          .rows[0].n as number;
      const before = await openDoors();
      const refused = await admin.post<Json>(`/api/v1/doors/${doors[0].id}/unlock`, { seconds: 3 });
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('DOOR_LOCKED_DOWN');
      expect(refused.body.message).toContain('Whole building');
      expect(await openDoors()).toBe(before);
      expect(t1.door(1).relayOpen || t1.door(2).relayOpen).toBe(false);

      const off = await admin.post<Json>(`/api/v1/lockdown/groups/${g.rows[0].id}/cancel`);
      expect(off.body).toMatchObject({ active: false, status: 'Normal' });
      await waitFor('doors unlocked on the terminal', () => Promise.resolve(!t1.door(1).lockedDown), 10_000);
      const unlocked = await admin.post<Json>(`/api/v1/doors/${doors[0].id}/unlock`, { seconds: 1 });
      expect(unlocked.body).toMatchObject({ status: 'acked' });
    });

    it('activates and cancels a lockdown once per Idempotency-Key, answering retries with the first result', async () => {
      const groupId = (await admin.get<Json[]>('/api/v1/lockdown/groups')).body[0].id as string;
      const commands = async (): Promise<number> =>
        (await site.pg.query(`SELECT count(*)::int AS n FROM "${site.schema}".device_command`)).rows[0].n as number;
      const activate = (headers: Record<string, string>) =>
        admin.post<Json>(`/api/v1/lockdown/groups/${groupId}/activate`, {}, headers);
      const cancel = (headers: Record<string, string>) =>
        admin.post<Json>(`/api/v1/lockdown/groups/${groupId}/cancel`, {}, headers);
      const before = await commands();
      const on = { 'Idempotency-Key': 'lockdown-on-1' };
      const a = await activate(on);
      expect(a.body).toMatchObject({ active: true, status: 'Under Lockdown' });
      const perActivation = (await commands()) - before;
      expect(perActivation).toBeGreaterThanOrEqual(a.body.doorCount as number);
      // A retry (after a lost answer) gets the first answer and sends nothing to the terminals.
      expect((await activate(on)).body).toEqual(a.body);
      expect((await commands()) - before).toBe(perActivation);

      const off = { 'Idempotency-Key': 'lockdown-off-1' };
      const c1 = await cancel(off);
      expect(c1.body).toMatchObject({ active: false, status: 'Normal' });
      const cancelled = await commands();
      expect((await cancel(off)).body).toEqual(c1.body);
      expect(await commands()).toBe(cancelled);

      // A retry racing the first request: one activation, both answered alike.
      const race = { 'Idempotency-Key': 'lockdown-on-2' };
      const [r1, r2] = await Promise.all([activate(race), activate(race)]);
      expect(r1.status).toBe(200);
      expect(r2.body).toEqual(r1.body);
      expect((await commands()) - cancelled).toBe(perActivation);
      await cancel({});
      // The same key for the other action is another request; a bad key is refused.
      const again = await admin.post<Json>(`/api/v1/lockdown/groups/${groupId}/activate`, {}, off);
      expect(again.body.active).toBe(true);
      await admin.post(`/api/v1/lockdown/groups/${groupId}/cancel`);
      const bad = await admin.post<Json>(
        `/api/v1/lockdown/groups/${groupId}/activate`,
        {},
        { 'Idempotency-Key': 'no spaces' },
      );
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('VALIDATION_FAILED');
      await waitFor('doors unlocked on the terminal', () => Promise.resolve(!t1.door(1).lockedDown), 10_000);
    });

    it('lists access records with details', async () => {
      await t1.swipeCard('12345678', 1);
      await waitFor(
        'access record',
        async () => (await admin.get<Json>('/api/v1/access-records?q=5001')).body.total > 0,
        10_000,
      );
      const list = await admin.get<Json>('/api/v1/access-records?q=5001&pageSize=5');
      const rec = list.body.items[0];
      expect(rec).toMatchObject({ pin: '5001', personName: 'Ada Lovelace', deviceName: expect.any(String) });
      expect((await admin.get<Json>(`/api/v1/access-records/${rec.id}`)).body.id).toBe(rec.id);
    });

    it('refuses to unlock a door whose device is offline with 409 DEVICE_OFFLINE', async () => {
      const t2 = await startTerminal(site, 'MOBADM0000002', 1);
      const door =
        ((await admin.get<Json>('/api/v1/doors?q=MOBADM0000002')).body.items as Json[])[0] ??
        ((await admin.get<Json>('/api/v1/doors?pageSize=100')).body.items as Json[]).find((d) =>
          d.deviceName.includes('MOBADM0000002'),
        );
      expect(door).toBeDefined();
      const stream = await StreamClient.open(site.url, admin.token!, 'protocol');
      await t2.stop();
      await waitFor(
        'device offline',
        async () => (await admin.get<Json>('/api/v1/devices?status=offline')).body.total > 0,
        15_000,
      );
      const r = await admin.post<Json>(`/api/v1/doors/${door.id}/unlock`, {});
      expect(r.status).toBe(409);
      expect(r.body.code).toBe('DEVICE_OFFLINE');
      await waitFor('device status on the stream', () => Promise.resolve(stream.of('device-status').length > 0), 5000);
      expect(stream.of('device-status').map((m) => m.data)).toContainEqual(
        expect.objectContaining({ sn: 'MOBADM0000002', online: false }),
      );
      stream.close();
    });
  });

  describe('visitors', () => {
    it('registers a visitor with photos, checks in and out, and counts today', async () => {
      const start = new Date();
      const reg = await admin.post<Json>('/api/v1/visits', {
        name: 'Grace Hopper',
        contact: '+1 555 0100',
        idNumber: 'X1234567',
        hostPin: '5001',
        startAt: start.toISOString(),
        endAt: new Date(start.getTime() + 3600_000).toISOString(),
        reason: 'Compiler review',
        platePhoto: TINY_PNG.toString('base64'),
      });
      expect(reg.status).toBe(201);
      expect(reg.body).toMatchObject({ visitorName: 'Grace Hopper', hostName: 'Ada Lovelace', status: 'reserved' });
      expect(reg.body.photos).toEqual([{ kind: 'plate', url: `/api/v1/visits/${reg.body.id}/photos/plate` }]);
      const photo = await fetch(`${site.url}${reg.body.photos[0].url}`, {
        headers: { authorization: `Bearer ${admin.token}` },
      });
      expect(Buffer.from(await photo.arrayBuffer())).toEqual(TINY_PNG);
      const raw = await site.pg.query(`SELECT id_number_enc FROM "${site.schema}".visitor WHERE id = $1`, [
        reg.body.visitorId,
      ]);
      expect(raw.rows[0].id_number_enc).not.toContain('X1234567');

      expect((await admin.post<Json>(`/api/v1/visits/${reg.body.id}/check-out`)).body.code).toBe('CONFLICT');
      expect((await admin.post<Json>(`/api/v1/visits/${reg.body.id}/check-in`)).body.status).toBe('checked_in');
      let summary = await admin.get<Json>('/api/v1/visits/summary');
      expect(summary.body).toMatchObject({ visitors: 1, notCheckedOut: 1, checkedIn: 1 });
      expect((await admin.post<Json>(`/api/v1/visits/${reg.body.id}/check-out`)).body.status).toBe('checked_out');
      summary = await admin.get<Json>('/api/v1/visits/summary');
      expect(summary.body).toMatchObject({ visitors: 1, notCheckedOut: 0, checkedIn: 1 });

      expect((await admin.get<Json>('/api/v1/visits?q=hopper&today=true')).body.total).toBe(1);
      const stats = await admin.get<Json>('/api/v1/visits/statistics');
      expect(stats.body.todayByHour).toHaveLength(24);
      expect(stats.body.todayByHour.reduce((n: number, h: Json) => n + h.count, 0)).toBe(1);
      expect(stats.body.topVisitorsThisMonth).toEqual([{ name: 'Grace Hopper', visits: 1 }]);
      const dash = await admin.get<Json>('/api/v1/dashboard');
      expect(dash.body.visitorsToday).toBe(1);
    });

    it('refuses bad photos, unknown hosts and oversize bodies precisely', async () => {
      const base = { name: 'X', startAt: new Date().toISOString() };
      expect(
        (await admin.post<Json>('/api/v1/visits', { ...base, goodsPhoto: Buffer.from('hello').toString('base64') }))
          .body,
      ).toMatchObject({
        code: 'VALIDATION_FAILED',
        details: [{ field: 'goodsPhoto', problems: ['must be a JPEG or PNG image'] }],
      });
      expect((await admin.post<Json>('/api/v1/visits', { ...base, hostPin: '9999' })).body.code).toBe('NOT_FOUND');
      const huge = Buffer.alloc(4 * 1024 * 1024, 1).toString('base64');
      expect((await admin.post<Json>('/api/v1/visits', { ...base, photo: huge })).status).toBe(413);
    });
  });

  it('shows the admin account, organisation, switch and version', async () => {
    const me = await admin.get<Json>('/api/v1/me');
    expect(me.body).toMatchObject({
      role: 'admin',
      account: { username: 'admin' },
      organisation: { name: 'Mobile test site' },
      notificationsEnabled: true,
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
    });
    expect((await admin.put<Json>('/api/v1/me/notifications', { enabled: false })).body.notificationsEnabled).toBe(
      false,
    );
    expect((await anon.get<Json>('/api/v1/privacy-policy')).body.text).toMatch(/on the premises/);
  });

  it('answers 401 once the access token has expired (clock moved 16 minutes)', async () => {
    site.clock.offsetMs = 16 * 60_000;
    try {
      const r = await admin.get<Json>('/api/v1/me');
      expect(r.status).toBe(401);
      expect(r.body).toMatchObject({ code: 'UNAUTHENTICATED', message: 'the access token has expired' });
    } finally {
      site.clock.offsetMs = 0;
    }
  });
});
