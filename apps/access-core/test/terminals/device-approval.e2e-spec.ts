/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- response bodies are checked by expect(), not by types */
/**
 * Unknown terminals wait for an operator (PUSH_AUTO_ENROLL off, the default): a simulated
 * terminal nobody approved gets no person, no right and no command, and its events are not
 * taken; once approved it registers, is synchronised and uploads what it kept. On PostgreSQL,
 * with the real simulator over HTTP.
 */
import { SimulatedTerminal, type SimulatedTerminalOptions } from '@lanbridge/terminal-simulator';
import { AccessLevelRepository } from '../../src/domain/access-level.repository';
import { AreaRepository, DoorRepository } from '../../src/domain/device.repository';
import { PersonRepository } from '../../src/domain/person.repository';
import { SyncService } from '../../src/terminals/sync.service';
import { eventually, startHarness, type Harness } from './harness';

type Json = Record<string, any>;

const PIN = '4401';
const CARD = '44010001';

describe('approval of unknown terminals', () => {
  let h: Harness;
  let token = '';
  const terminals: SimulatedTerminal[] = [];
  let n = 0;

  const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> => {
    const res = await fetch(`${h.app.url}${path}`, {
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
  const listed = async (approval?: string): Promise<Json[]> =>
    (await api('GET', `/api/v1/devices?pageSize=100${approval ? `&approval=${approval}` : ''}`)).body.items;
  const commandsOf = async (sn: string): Promise<number> =>
    Number(
      (
        await h.query<{ n: string }>(
          'SELECT count(*) AS n FROM device_command c JOIN device d ON d.id = c.device_id WHERE d.sn = $1',
          [sn],
        )
      )[0].n,
    );
  const eventsOf = async (sn: string): Promise<number> =>
    Number((await h.query<{ n: string }>('SELECT count(*) AS n FROM access_event WHERE device_sn = $1', [sn]))[0].n);

  async function unknownTerminal(opts: Partial<SimulatedTerminalOptions> = {}): Promise<SimulatedTerminal> {
    const t = new SimulatedTerminal({
      serverUrl: h.app.url,
      sn: `NEW${process.pid}${++n}`,
      requestDelayMs: 100,
      errorDelayMs: 150,
      detectorTimeSec: 0,
      firmware: 'ZAM180-NF-Ver9.9.9',
      ...opts,
    });
    t.on('error', () => undefined);
    terminals.push(t);
    await t.start();
    return t;
  }
  const pendingRow = (sn: string): Promise<Json | undefined> =>
    listed('pending').then((items) => items.find((d) => d.sn === sn));

  beforeAll(async () => {
    h = await startHarness({ PUSH_AUTO_ENROLL: 'false', PUSH_REQUEST_DELAY_SEC: '1' });
    const login = await fetch(`${h.app.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'admin', username: 'admin', password: 'admin-admin' }),
    });
    token = ((await login.json()) as { accessToken: string }).accessToken;
    // A person with a card and an always-open level on every door: what a terminal must not get
    // before it is approved.
    const people = h.app.get(PersonRepository);
    await people.orm.save(people.orm.create({ pin: PIN, firstName: 'Pat', lastName: 'Pending', cardNo: CARD }));
    const levels = h.app.get(AccessLevelRepository);
    await levels.orm.save(levels.orm.create({ name: 'Everywhere', timeZoneId: null }));
  });

  afterAll(async () => {
    for (const t of terminals) await t.stop();
    await h?.close();
  });

  it('records an unknown terminal as pending and gives it nothing: no person, no command, no event taken', async () => {
    const t = await unknownTerminal();
    const row = await eventually('the terminal recorded as pending', () => pendingRow(t.sn));
    expect(row).toMatchObject({
      sn: t.sn,
      approval: 'pending',
      model: 'F20/M',
      firmware: 'ZAM180-NF-Ver9.9.9',
      online: false,
      areaId: null,
      ip: expect.stringMatching(/127\.0\.0\.1/),
      decidedBy: null,
    });
    expect(Date.parse(row.firstSeenAt as string)).toBeLessThanOrEqual(Date.parse(row.lastSeenAt as string));
    // It keeps asking (registry refused with 406), and its calls keep being recorded.
    await eventually('a later call recorded', async () => (await pendingRow(t.sn))?.lastSeenAt !== row.lastSeenAt);
    expect(t.online).toBe(false);

    // A person pushed to "every terminal" does not reach it; neither does a dummy command.
    const pat = await h.app.get(PersonRepository).findByPin(PIN);
    await h.app.get(SyncService).pushPerson(pat!.id);
    expect(await commandsOf(t.sn)).toBe(0);
    const poll = await fetch(`${h.app.url}/iclock/getrequest?SN=${t.sn}`);
    expect(poll.status).toBe(401);
    expect(await poll.text()).toBe('UNAUTHORIZED');
    const registry = await fetch(`${h.app.url}/iclock/registry?SN=${t.sn}`, { method: 'POST', body: 'DeviceType=acc' });
    expect(registry.status).toBe(406);
    expect(await registry.text()).toBe('ERROR: device awaiting approval by an operator');

    // Its events are not taken: the terminal keeps them.
    await t.swipeCard('123456', 1);
    const upload = await fetch(`${h.app.url}/iclock/cdata?SN=${t.sn}&table=rtlog`, {
      method: 'POST',
      body: 'time=2024-05-01 10:00:00\tpin=0\tcardno=1\teventaddr=1\tevent=27\tinoutstatus=0\tverifytype=4\tindex=9\r\n',
    });
    expect(upload.status).toBe(401);
    expect(await eventsOf(t.sn)).toBe(0);
    expect(t.queuedCount).toBe(1);
    expect(t.tables.userByPinOrUndefined(PIN)).toBeUndefined();

    // Operators see it only among the pending ones; the site's counts leave it out.
    expect((await listed()).map((d) => d.sn)).not.toContain(t.sn);
    expect((await api('GET', '/api/v1/dashboard')).body.devices.total).toBe((await listed()).length);
  });

  it('after approval into an area the terminal registers, receives the people and rights, and uploads what it kept', async () => {
    const t = await unknownTerminal({ doorCount: 2 });
    const row = await eventually('pending', () => pendingRow(t.sn));
    const area = await h.app.get(AreaRepository).orm.save(h.app.get(AreaRepository).orm.create({ name: 'Lobby' }));
    await t.swipeCard('654321', 1); // raised while pending, kept by the terminal

    const approved = await api('POST', `/api/v1/devices/${row.id}/approve`, { areaId: area.id, name: 'Lobby door' });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({
      id: row.id,
      sn: t.sn,
      name: 'Lobby door',
      approval: 'approved',
      areaId: area.id,
      areaName: 'Lobby',
      decidedBy: 'operator:admin',
    });
    // Its doors exist at once, so an operator can put them in levels right away.
    expect((await h.app.get(DoorRepository).byDevice(row.id)).map((d) => d.doorNo)).toEqual([1, 2]);
    const log = await h.query<{ action: string; target: string }>(
      "SELECT action, target FROM operation_log WHERE action = 'device.approve'",
    );
    expect(log).toEqual([{ action: 'device.approve', target: `device:${t.sn}` }]);

    await t.waitOnline(15_000);
    await eventually('the person on the terminal', () => t.tables.userByPinOrUndefined(PIN));
    await eventually('the kept event stored', async () => (await eventsOf(t.sn)) === 1);
    expect((await listed()).map((d) => d.sn)).toContain(t.sn);
    expect(await pendingRow(t.sn)).toBeUndefined();

    // Decisions are made once.
    expect((await api('POST', `/api/v1/devices/${row.id}/approve`, {})).body.code).toBe('CONFLICT');
    expect((await api('POST', `/api/v1/devices/${row.id}/approve`, { areaId: row.id })).status).toBe(409);
  });

  it('holds an Attendance PUSH terminal (no registry step) the same way', async () => {
    const t = await unknownTerminal({ mode: 'att' });
    const row = await eventually('pending', () => pendingRow(t.sn));
    const poll = await fetch(`${h.app.url}/iclock/cdata?SN=${t.sn}&options=all&pushver=2.4.1`);
    expect(poll.status).toBe(401);
    expect(t.tables.userByPinOrUndefined(PIN)).toBeUndefined();
    expect((await api('POST', `/api/v1/devices/${row.id}/approve`, {})).body.approval).toBe('approved');
    await t.waitOnline(15_000);
    await eventually('the person on the terminal', () => t.tables.userByPinOrUndefined(PIN));
  });

  it('keeps a rejected terminal refused, and cuts off one that was approved', async () => {
    const stranger = await unknownTerminal();
    const row = await eventually('pending', () => pendingRow(stranger.sn));
    const rejected = await api('POST', `/api/v1/devices/${row.id}/reject`);
    expect(rejected.body).toMatchObject({ approval: 'rejected', decidedBy: 'operator:admin' });
    expect((await api('POST', `/api/v1/devices/${row.id}/reject`)).status).toBe(409);
    expect((await listed('rejected')).map((d) => d.sn)).toContain(stranger.sn);
    const registry = await fetch(`${h.app.url}/iclock/registry?SN=${stranger.sn}`, { method: 'POST', body: '' });
    expect(await registry.text()).toBe('ERROR: device refused by an operator');
    expect(await commandsOf(stranger.sn)).toBe(0);

    // An approved, online terminal that is rejected goes offline at once and gets nothing more.
    const t = await unknownTerminal();
    const pending = await eventually('pending', () => pendingRow(t.sn));
    await api('POST', `/api/v1/devices/${pending.id}/approve`, {});
    await t.waitOnline(15_000);
    await eventually('synchronised', () => t.tables.userByPinOrUndefined(PIN));
    expect((await api('POST', `/api/v1/devices/${pending.id}/reject`)).status).toBe(200);
    await eventually('refused', () => !t.online);
    const [door] = await h.app.get(DoorRepository).byDevice(pending.id);
    const before = await commandsOf(t.sn);
    const unlock = await api('POST', `/api/v1/doors/${door.id}/unlock`, {});
    expect(unlock.status).toBe(409);
    expect(['DEVICE_OFFLINE', 'DEVICE_NOT_APPROVED']).toContain(unlock.body.code);
    expect(await commandsOf(t.sn)).toBe(before);
  });

  it('answers unknown ids, bad bodies and other roles precisely', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    expect((await api('POST', `/api/v1/devices/${missing}/approve`, {})).status).toBe(404);
    expect((await api('POST', `/api/v1/devices/${missing}/reject`)).status).toBe(404);
    const t = await unknownTerminal();
    const row = await eventually('pending', () => pendingRow(t.sn));
    expect((await api('POST', `/api/v1/devices/${row.id}/approve`, { areaId: missing })).body.code).toBe('NOT_FOUND');
    expect((await api('POST', `/api/v1/devices/${row.id}/approve`, { name: '' })).body.code).toBe('VALIDATION_FAILED');
    expect((await api('POST', `/api/v1/devices/${row.id}/approve`, { extra: 1 })).body.code).toBe('VALIDATION_FAILED');
    expect((await api('GET', '/api/v1/devices?approval=maybe')).status).toBe(400);
    expect((await fetch(`${h.app.url}/api/v1/devices/${row.id}/approve`, { method: 'POST' })).status).toBe(401);
    expect((await pendingRow(t.sn))?.approval).toBe('pending');
  });
});
