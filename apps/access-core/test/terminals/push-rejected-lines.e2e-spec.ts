/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- response bodies are checked by expect(), not by types */
/**
 * One bad line never poisons a terminal's upload: the good lines are stored, the bad one is set
 * aside with its raw text where an operator sees it, and the terminal is answered so it moves
 * on. On PostgreSQL, with real HTTP uploads.
 */
import { randomUUID } from 'node:crypto';
import { AccessEventRepository, type BatchEvent } from '../../src/domain/access-event.repository';
import { DeviceRepository } from '../../src/domain/device.repository';
import { eventually, startHarness, type Harness } from './harness';

type Json = Record<string, any>;

const line = (index: number, over: Record<string, string> = {}): string =>
  Object.entries({
    time: '2024-05-03 09:00:00',
    pin: '0',
    cardno: String(880000 + index),
    eventaddr: '1',
    event: '27',
    inoutstatus: '0',
    verifytype: '4',
    index: String(index),
    ...over,
  })
    .map(([k, v]) => `${k}=${v}`)
    .join('\t');

describe('PUSH uploads with a bad line', () => {
  let h: Harness;
  let token = '';
  let n = 0;

  const iclock = (path: string, body: string, method = 'POST'): Promise<Response> =>
    fetch(`${h.app.url}/iclock/${path}`, { method, body });
  const api = async (path: string, init: RequestInit = {}): Promise<{ status: number; body: Json }> => {
    const res = await fetch(`${h.app.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) },
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Json };
  };
  const rejectedOf = async (sn: string): Promise<Json[]> =>
    (await api(`/api/v1/push/rejected-lines?deviceSn=${sn}&pageSize=100`)).body.items as Json[];
  const eventsOf = async (sn: string): Promise<number> =>
    Number((await h.query<{ n: string }>('SELECT count(*) AS n FROM access_event WHERE device_sn = $1', [sn]))[0].n);

  /** A registered terminal of our own (raw requests from here on). */
  async function device(): Promise<string> {
    const sn = `BAD${process.pid}${++n}`;
    const res = await iclock(`registry?SN=${sn}`, 'DeviceType=acc,~DeviceName=F20/M,LockCount=1');
    expect(res.status).toBe(200);
    return sn;
  }

  beforeAll(async () => {
    h = await startHarness({ PUSH_AUTO_ENROLL: 'true' });
    const login = await fetch(`${h.app.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'admin', username: 'admin', password: 'admin-admin' }),
    });
    token = ((await login.json()) as { accessToken: string }).accessToken;
  });

  afterAll(async () => {
    await h?.close();
  });

  it('stores 99 good rtlog lines, sets the one with a NUL byte aside, and answers OK (also when re-sent)', async () => {
    const sn = await device();
    const poisoned = line(50, { pin: '12\u000034' });
    const body = [...Array.from({ length: 99 }, (_, i) => line(i + 1)), poisoned].join('\r\n') + '\r\n';
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await iclock(`cdata?SN=${sn}&table=rtlog`, body);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('OK');
      expect(await eventsOf(sn)).toBe(99);
    }
    const [aside] = await rejectedOf(sn);
    expect(aside).toMatchObject({
      deviceSn: sn,
      endpoint: 'cdata',
      table: 'rtlog',
      raw: poisoned,
      rawBytes: Buffer.byteLength(poisoned),
      truncated: false,
      times: 2,
      ip: expect.stringMatching(/127\.0\.0\.1/),
    });
    expect(aside.reason).toMatch(/NUL/);
    expect(aside.deviceId).toBe((await h.app.get(DeviceRepository).findBySn(sn))?.id);
    expect(Date.parse(aside.lastReceivedAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(h.lines.some((l) => l.msg === 'terminal lines set aside' && l.sn === sn && l.count === 1)).toBe(true);
    expect(h.lines.filter((l) => l.msg === 'terminal request failed')).toEqual([]);
  });

  it('sets aside unreadable lines of rtlog, ATTLOG, rtstate and command results, keeping the rest', async () => {
    const sn = await device();
    const rtlog = [line(1), 'garbage without fields', 'event=abc\ttime=nope', line(2)].join('\n');
    expect(await (await iclock(`cdata?SN=${sn}&table=rtlog`, rtlog)).text()).toBe('OK');
    const attlog = ['1001\t2024-05-01 08:00:00\t0\t1', '\t2024-05-01 08:00:00', '10\u000002\t2024-05-01 08:01:00'].join(
      '\n',
    );
    expect(await (await iclock(`cdata?SN=${sn}&table=ATTLOG&Stamp=1`, attlog)).text()).toBe('OK:3');
    expect(await (await iclock(`cdata?SN=${sn}&table=rtstate`, 'sensor=\u0000')).text()).toBe('OK');
    expect(await (await iclock(`devicecmd?SN=${sn}`, 'ID=abc&CMD=X\nReturn=1')).text()).toBe('OK');
    expect(await eventsOf(sn)).toBe(3);
    const reasons = (await rejectedOf(sn)).map((r) => `${r.table}: ${r.reason}`).sort();
    expect(reasons).toEqual([
      'ATTLOG: NUL character in the line (no database text can hold it)',
      'ATTLOG: no personnel id or valid time',
      'null: command result without a valid ID and Return',
      'null: command result without a valid ID and Return',
      'rtlog: no valid event code or time',
      'rtlog: no valid event code or time',
      'rtstate: door state line unreadable',
    ]);
  });

  it('registers a terminal whose registry body holds a NUL, setting the bad pair aside; the same for options', async () => {
    const sn = `BADREG${process.pid}`;
    const res = await iclock(`registry?SN=${sn}`, 'DeviceType=acc,~DeviceName=F20\u0000M,FirmVer=1.2,LockCount=2');
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^RegistryCode=\w+/);
    const stored = await h.app.get(DeviceRepository).findBySn(sn);
    expect(stored).toMatchObject({ firmware: '1.2', doorCount: 2, model: null });
    const options = await iclock(`cdata?SN=${sn}&table=options`, 'Color=\u0000red,IPAddress=10.0.0.9');
    expect(await options.text()).toBe('OK');
    expect((await h.app.get(DeviceRepository).findBySn(sn))?.options).toMatchObject({ ipaddress: '10.0.0.9' });
    const aside = await rejectedOf(sn);
    expect(aside.map((r) => [r.endpoint, r.table, r.raw])).toEqual(
      expect.arrayContaining([
        ['registry', null, '~devicename=F20\u0000M'],
        ['cdata', 'options', 'color=\u0000red'],
      ]),
    );
    const many = Array.from({ length: 600 }, (_, i) => `Opt${i}=${i}`).join(',');
    expect(await (await iclock(`cdata?SN=${sn}&table=options`, many)).text()).toBe('OK');
    expect((await rejectedOf(sn)).some((r) => r.reason === 'more than 500 options')).toBe(true);
  });

  it('keeps group commit: a batch with a row the database refuses stores its other rows and fails no other batch', async () => {
    const events = h.app.get(AccessEventRepository);
    const row = (sn: string, index: number, level = 'normal'): BatchEvent => ({
      id: randomUUID(),
      alarmId: null,
      event: {
        deviceSn: sn,
        deviceId: null,
        deviceIndex: String(index),
        fingerprint: randomUUID(),
        source: 'rtlog',
        time: new Date(),
        code: 0,
        name: 'Normal Verify Open',
        level: level as 'normal',
        doorId: null,
        doorNo: 1,
        pin: null,
        personId: null,
        cardNo: null,
        verifyType: '4',
        inOut: 0,
        picture: null,
        raw: null,
      },
    });
    const first = [row('GC-FIRST', 1)];
    const good = [row('GC-GOOD', 1), row('GC-GOOD', 2)];
    const mixed = [row('GC-MIXED', 1), row('GC-MIXED', 2, 'bogus'), row('GC-MIXED', 3)];
    // While the first insert runs, the next two wait and go together in one shared insert,
    // which the bad row fails; each batch is then stored on its own, the bad one row by row.
    const [f, a, b] = await Promise.all([
      events.insertBatch(first),
      events.insertBatch(good),
      events.insertBatch(mixed),
    ]);
    expect(f.stored.size).toBe(1);
    expect([...a.stored.keys()].sort()).toEqual(good.map((r) => r.id).sort());
    expect(a.rejected.size).toBe(0);
    expect([...b.stored.keys()].sort()).toEqual([mixed[0].id, mixed[2].id].sort());
    expect([...b.rejected.keys()]).toEqual([mixed[1].id]);
    expect(b.rejected.get(mixed[1].id)).toMatch(/23514.*ck_access_event_level/);
  });

  it('serves the list to administrators only, and lets them dismiss a line', async () => {
    expect((await fetch(`${h.app.url}/api/v1/push/rejected-lines`)).status).toBe(401);
    const all = await api('/api/v1/push/rejected-lines?pageSize=2');
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ page: 1, pageSize: 2 });
    expect(all.body.total).toBeGreaterThanOrEqual(10);
    expect(all.body.items).toHaveLength(2);
    const first = all.body.items[0] as Json;
    expect((await api(`/api/v1/push/rejected-lines/${first.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api(`/api/v1/push/rejected-lines/${first.id}`, { method: 'DELETE' })).status).toBe(404);
    expect((await api('/api/v1/push/rejected-lines/x1', { method: 'DELETE' })).status).toBe(400);
    await eventually('operation logged', async () => {
      const rows = await h.query<{ action: string }>(`SELECT action FROM operation_log WHERE target = $1`, [
        `push-rejected-line:${first.id}`,
      ]);
      return rows.length === 1 && rows[0].action === 'push.rejected-line.delete';
    });
    const since = await api(`/api/v1/push/rejected-lines?since=${new Date(Date.now() + 60_000).toISOString()}`);
    expect(since.body.total).toBe(0);
  });
});
