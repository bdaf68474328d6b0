/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- response bodies are checked by expect(), not by types */
import type { SimulatedTerminal } from '@lanbridge/terminal-simulator';
import {
  ADMIN_PASSWORD,
  Api,
  login,
  SmtpSink,
  startSite,
  startTerminal,
  StreamClient,
  waitFor,
  type Site,
} from './mobile-harness';

type Json = Record<string, any>;

const NOT_CONFIGURED =
  'No outgoing mail server is configured on this site; ask the administrator to set one up under Settings → Mail server.';

describe('mobile API: personnel', () => {
  let site: Site;
  let admin: Api;
  let anon: Api;
  let me: Api;
  let t: SimulatedTerminal;
  let sink: SmtpSink;
  const ids: Record<string, string> = {};

  const invite = (over: Json = {}): Json => ({
    firstName: 'Vera',
    lastName: 'Visitor',
    email: 'vera@example.test',
    mobile: '+44 20 7946 0000',
    startAt: new Date(Date.now() - 60_000).toISOString(),
    endAt: new Date(Date.now() + 3 * 3600_000).toISOString(),
    reason: 'Interview',
    visitorCount: 2,
    remarks: 'Parking needed',
    ...over,
  });

  beforeAll(async () => {
    sink = new SmtpSink();
    await sink.start();
    site = await startSite('mobile_person');
    anon = new Api(site.url);
    admin = await login(site.url, { type: 'admin', username: 'admin', password: ADMIN_PASSWORD });
    t = await startTerminal(site, 'MOBPER0000001', 1);
    for (const [pin, first, app] of [
      ['7001', 'Paula', true],
      ['7002', 'Kid', false],
      ['7003', 'Nope', false],
    ] as const) {
      const r = await admin.post<Json>('/api/v1/people', {
        pin,
        firstName: first,
        lastName: 'Parent',
        cardNo: `9000${pin}`,
        appLoginEnabled: app,
        password: `${pin}-password`,
      });
      ids[pin] = r.body.id;
    }
    // Paula follows Kid's events.
    await admin.post(`/api/v1/people/${ids['7002']}/guardians`, { guardianPin: '7001' });
    me = await login(site.url, { type: 'personnel', pin: '7001', password: '7001-password' });
  }, 60_000);

  afterAll(async () => {
    await site?.stop();
    await sink?.stop();
  });

  describe('sign-in', () => {
    it('refuses a person without App Login with 403 "Unauthorized APP login"', async () => {
      const r = await anon.post<Json>('/api/v1/auth/login', {
        type: 'personnel',
        pin: '7003',
        password: '7003-password',
      });
      expect(r.status).toBe(403);
      expect(r.body).toMatchObject({ code: 'APP_LOGIN_DISABLED', message: 'Unauthorized APP login' });
    });

    it('refuses a wrong password (before telling anything about App Login)', async () => {
      const r = await anon.post<Json>('/api/v1/auth/login', {
        type: 'personnel',
        pin: '7003',
        password: 'wrong-password',
      });
      expect(r.status).toBe(401);
      expect(r.body.code).toBe('INVALID_CREDENTIALS');
    });

    it('forbids administrator endpoints with 403 FORBIDDEN', async () => {
      for (const path of ['/api/v1/dashboard', '/api/v1/alarms', '/api/v1/settings/mail-server', '/api/v1/people']) {
        const r = await me.get<Json>(path);
        expect(r.status).toBe(403);
        expect(r.body.code).toBe('FORBIDDEN');
      }
      expect((await admin.get<Json>('/api/v1/invitations')).status).toBe(403);
      expect((await admin.get<Json>('/api/v1/me/credential-qr')).status).toBe(403);
    });

    it('ends the sessions of a person whose App Login is disabled', async () => {
      await admin.put(`/api/v1/people/${ids['7003']}/app-login`, { enabled: true });
      const p = await login(site.url, { type: 'personnel', pin: '7003', password: '7003-password' });
      expect((await p.get('/api/v1/me')).status).toBe(200);
      await admin.put(`/api/v1/people/${ids['7003']}/app-login`, { enabled: false });
      expect((await p.get('/api/v1/me')).status).toBe(401);
    });
  });

  it('delivers own and guarded events to the notification center, live and stored', async () => {
    const stream = await StreamClient.open(site.url, me.token!, 'protocol');
    const adminStream = await StreamClient.open(site.url, admin.token!, 'message');
    try {
      await t.swipeCard('90007002', 1); // Kid's card: Paula follows Kid
      await waitFor('notification on the stream', () => Promise.resolve(stream.of('notification').length > 0), 10_000);
      expect(stream.of('notification')[0].data).toMatchObject({ kind: 'event', read: false });
      expect(adminStream.of('notification')).toEqual([]);
      const list = await me.get<Json>('/api/v1/notifications');
      expect(list.body.total).toBeGreaterThanOrEqual(1);
      expect(list.body.items[0].body).toMatch(/Kid Parent/);
      const read = await me.post<Json>(`/api/v1/notifications/${list.body.items[0].id}/read`);
      expect(read.body.read).toBe(true);
      expect((await me.get<Json>('/api/v1/notifications?unread=true')).body.unread).toBe(list.body.unread - 1);
      // Someone else's notification is not mine.
      const other = await login(site.url, { type: 'admin', username: 'admin', password: ADMIN_PASSWORD });
      expect((await other.post<Json>(`/api/v1/notifications/${list.body.items[0].id}/read`)).status).toBe(404);
    } finally {
      stream.close();
      adminStream.close();
    }
  });

  it('closes a stream whose first message is not an auth message, and refuses a bad bearer protocol', async () => {
    const c = new StreamClient(site.url, ['lanbridge.stream.v1']);
    await new Promise((r) => c.ws.once('open', r));
    c.ws.send('{"type":"hello"}');
    expect((await c.closed).code).toBe(4400);
    const bad = new StreamClient(site.url, ['lanbridge.stream.v1', 'bearer.not-a-token']);
    const status = await new Promise<number>((r) =>
      bad.ws.once('unexpected-response', (_q, res) => r(res.statusCode ?? 0)),
    );
    expect(status).toBe(401);
  });

  describe('my credentials', () => {
    it('gives a dynamic QR the terminal accepts while valid and refuses once expired', async () => {
      // Paula may open door 1 of the terminal, as her card would.
      const door = await site.pg.query<{ id: string }>(
        `SELECT d.id FROM "${site.schema}".door d JOIN "${site.schema}".device v ON v.id = d.device_id WHERE v.sn = 'MOBPER0000001' AND d.door_no = 1`,
      );
      const level = await site.pg.query<{ id: string }>(
        `INSERT INTO "${site.schema}".access_level (name) VALUES ('Main') RETURNING id`,
      );
      await site.pg.query(`INSERT INTO "${site.schema}".access_level_door VALUES ($1, $2)`, [
        level.rows[0].id,
        door.rows[0].id,
      ]);
      await site.pg.query(`INSERT INTO "${site.schema}".level_person VALUES ($1, $2)`, [level.rows[0].id, ids['7001']]);

      const qr = await me.get<Json>('/api/v1/me/credential-qr');
      expect(qr.status).toBe(200);
      expect(qr.body.code).toMatch(/^LBQ1\.7001\.\d{8}$/);
      expect(qr.body.png).toMatch(/^data:image\/png;base64,/);
      // Valid for at least one more 30 s step, however late in its step it was fetched.
      const expiresAt = Date.parse(qr.body.expiresAt);
      expect(expiresAt - Date.now()).toBeGreaterThan(25_000);
      expect(expiresAt - Date.now()).toBeLessThanOrEqual(60_000);
      const [ok] = await t.verifyQr(qr.body.code, 1);
      expect(ok).toMatchObject({ code: 0, pin: '7001' });
      // Accepted up to the moment it says, refused right after.
      try {
        site.clock.offsetMs = expiresAt - 1_000 - Date.now();
        expect((await t.verifyQr(qr.body.code, 1))[0].code).toBe(0);
        site.clock.offsetMs = expiresAt + 1_000 - Date.now();
        expect((await t.verifyQr(qr.body.code, 1))[0].code).toBe(44);
      } finally {
        site.clock.offsetMs = 0;
      }

      // Kid has no access level for the door: a valid code is still refused.
      await admin.put(`/api/v1/people/${ids['7002']}/app-login`, { enabled: true });
      const kid = await login(site.url, { type: 'personnel', pin: '7002', password: '7002-password' });
      const kidQr = await kid.get<Json>('/api/v1/me/credential-qr');
      expect((await t.verifyQr(kidQr.body.code, 1))[0].code).toBe(44);

      site.clock.offsetMs = 120_000; // four steps later: outside current ± 1
      try {
        expect((await t.verifyQr(qr.body.code, 1))[0].code).toBe(44);
        const fresh = await me.get<Json>('/api/v1/me/credential-qr');
        expect(fresh.body.code).not.toBe(qr.body.code);
      } finally {
        site.clock.offsetMs = 0;
      }
      expect((await t.verifyQr('LBQ1.7001.00000000', 1))[0].code).toBe(44);
    });
  });

  describe('visitor invitations', () => {
    it('answers 409 MAIL_NOT_CONFIGURED without a mail server and creates nothing', async () => {
      const r = await me.post<Json>('/api/v1/invitations', invite());
      expect(r.status).toBe(409);
      expect(r.body).toMatchObject({ code: 'MAIL_NOT_CONFIGURED', message: NOT_CONFIGURED });
      expect((await me.get<Json>('/api/v1/invitations')).body.total).toBe(0);
    });

    it('validates the invitation form', async () => {
      const r = await me.post<Json>('/api/v1/invitations', invite({ email: 'not-an-email', firstName: '' }));
      expect(r.status).toBe(400);
      expect(r.body.details.map((d: Json) => d.field).sort()).toEqual(['email', 'firstName']);
    });

    it('invites: a single-use QR, e-mailed through the configured server, accepted once by a terminal', async () => {
      await admin.put('/api/v1/settings/mail-server', {
        host: '127.0.0.1',
        port: sink.port,
        secure: false,
        user: 'desk',
        password: 'smtp-secret',
        from: 'Front desk <desk@example.test>',
      });
      const r = await me.post<Json>('/api/v1/invitations', invite());
      expect(r.status).toBe(201);
      expect(r.body.invitation).toMatchObject({
        firstName: 'Vera',
        email: 'vera@example.test',
        status: 'pending',
        visitorCount: 2,
      });
      expect(r.body.qr.code).toMatch(/^LBI1\.[A-Za-z0-9_-]{43}$/);

      await waitFor('mail in the sink', () => Promise.resolve(sink.messages.length > 0), 5000);
      const mail = sink.messages[0];
      expect(mail.to && 'text' in mail.to ? mail.to.text : '').toContain('vera@example.test');
      expect(mail.subject).toBe('Invitation to Mobile test site');
      expect(mail.text).toContain(r.body.qr.code);
      expect(mail.attachments.map((a) => a.contentType)).toContain('image/png');
      expect(sink.logins).toEqual([{ user: 'desk', pass: 'smtp-secret' }]);
      const stored = await site.pg.query(`SELECT qr_token_hash FROM "${site.schema}".invitation WHERE id = $1`, [
        r.body.invitation.id,
      ]);
      expect(stored.rows[0].qr_token_hash).toMatch(/^[0-9a-f]{64}$/);

      const [first] = await t.verifyQr(r.body.qr.code, 1);
      expect(first.code).toBe(0);
      const [second] = await t.verifyQr(r.body.qr.code, 1);
      expect(second.code).toBe(44);
      expect((await me.get<Json>(`/api/v1/invitations/${r.body.invitation.id}`)).body.status).toBe('used');
      const visits = await admin.get<Json>('/api/v1/visits?q=Vera');
      expect(visits.body.items[0]).toMatchObject({
        status: 'checked_in',
        hostName: 'Paula Parent',
        invitationId: r.body.invitation.id,
      });
    });

    it('lists my invitations and re-invites with a new QR and a new mail', async () => {
      const list = await me.get<Json>('/api/v1/invitations');
      expect(list.body.total).toBe(1);
      const before = sink.messages.length;
      const again = await me.post<Json>(`/api/v1/invitations/${list.body.items[0].id}/reinvite`, {});
      expect(again.status).toBe(201);
      expect(again.body.invitation.id).not.toBe(list.body.items[0].id);
      await waitFor('second mail', () => Promise.resolve(sink.messages.length > before), 5000);
      expect((await t.verifyQr(again.body.qr.code, 1))[0].code).toBe(0);
      // Another person cannot see or re-invite it.
      await admin.put(`/api/v1/people/${ids['7002']}/app-login`, { enabled: true });
      const kid = await login(site.url, { type: 'personnel', pin: '7002', password: '7002-password' });
      expect((await kid.post<Json>(`/api/v1/invitations/${again.body.invitation.id}/reinvite`, {})).status).toBe(404);
    });

    it('shows an invitation past its end as expired, in the list and the detail', async () => {
      const soon = await me.post<Json>(
        '/api/v1/invitations',
        invite({ firstName: 'Late', endAt: new Date(Date.now() + 5 * 60_000).toISOString() }),
      );
      expect(soon.body.invitation.status).toBe('pending');
      const id = soon.body.invitation.id as string;
      site.clock.offsetMs = 6 * 60_000; // past its end, well within the access token's 15 minutes
      try {
        expect((await me.get<Json>(`/api/v1/invitations/${id}`)).body.status).toBe('expired');
        const items = (await me.get<Json>('/api/v1/invitations?pageSize=100')).body.items as Json[];
        expect(items.find((i) => i.id === id)?.status).toBe('expired');
        // The others end in three hours: still pending (or used).
        expect(items.filter((i) => i.id !== id).map((i) => i.status)).not.toContain('expired');
        expect((await t.verifyQr(soon.body.qr.code, 1))[0].code).toBe(44);
      } finally {
        site.clock.offsetMs = 0;
      }
    });
  });

  it('changes the password (app and self-service), ending old sessions', async () => {
    expect(
      (await me.put<Json>('/api/v1/me/password', { currentPassword: 'wrong', newPassword: 'new-password-7001' }))
        .status,
    ).toBe(401);
    const r = await me.put<Json>('/api/v1/me/password', {
      currentPassword: '7001-password',
      newPassword: 'new-password-7001',
    });
    expect(r.status).toBe(200);
    expect((await me.get('/api/v1/me')).status).toBe(401);
    const fresh = new Api(site.url, r.body.accessToken);
    expect((await fresh.get<Json>('/api/v1/me')).body).toMatchObject({
      role: 'personnel',
      account: { username: '7001' },
    });
    expect(
      (await anon.post('/api/v1/auth/login', { type: 'personnel', pin: '7001', password: '7001-password' })).status,
    ).toBe(401);
    const row = await site.pg.query(
      `SELECT password_hash, self_service_password_hash FROM "${site.schema}".person WHERE pin = '7001'`,
    );
    expect(row.rows[0].password_hash).toMatch(/^\$argon2id\$/);
    expect(row.rows[0].self_service_password_hash).toMatch(/^\$argon2id\$/);
    me = fresh;
  });
});
