/**
 * The terminal driver against the real terminal simulator over real HTTP, on PostgreSQL.
 */
import { SimulatedTerminal, type SimulatedTerminalOptions, KeyValueRecord } from '@lanbridge/terminal-simulator';
import { AccessLevelRepository } from '../../src/domain/access-level.repository';
import { DeviceRepository, DoorRepository } from '../../src/domain/device.repository';
import { LockdownGroupRepository } from '../../src/domain/lockdown-group.repository';
import { PersonRepository } from '../../src/domain/person.repository';
import { DomainEvents } from '../../src/events/domain-events';
import { AccessCoreException } from '../../src/http/access-core.exception';
import { LockdownService } from '../../src/lockdown/lockdown.service';
import { PersonDataService } from '../../src/people-data/person-data.service';
import { DeviceCommandService } from '../../src/terminals/device-command.service';
import { DoorControlService } from '../../src/terminals/door-control.service';
import { RemoteVerificationService } from '../../src/terminals/remote-verification.service';
import { SyncService } from '../../src/terminals/sync.service';
import { eventually, startHarness, type Harness } from './harness';

const OFFLINE_AFTER_MS = 1_500;

interface EventRow {
  code: number;
  level: string;
  name: string;
  person_id: string | null;
  device_index: string | null;
  source: string;
  door_no: number | null;
  in_out: number | null;
}

describe('PUSH terminal driver with simulated terminals', () => {
  let h: Harness;
  const terminals: SimulatedTerminal[] = [];
  let snCounter = 0;

  const nextSn = (): string => `SIM${process.pid}${String(++snCounter).padStart(3, '0')}`;

  async function terminal(opts: Partial<SimulatedTerminalOptions> = {}): Promise<SimulatedTerminal> {
    const t = new SimulatedTerminal({
      serverUrl: h.app.url,
      sn: nextSn(),
      requestDelayMs: 100,
      errorDelayMs: 200,
      detectorTimeSec: 0,
      ...opts,
    });
    terminals.push(t);
    await t.start();
    await t.waitOnline(10_000);
    return t;
  }

  const deviceOf = async (t: SimulatedTerminal) => {
    const d = await h.app.get(DeviceRepository).findBySn(t.sn);
    if (!d) throw new Error(`device ${t.sn} not stored`);
    return d;
  };
  const doorOf = async (t: SimulatedTerminal, no: number) => {
    const door = await h.app.get(DoorRepository).findByDeviceAndNo((await deviceOf(t)).id, no);
    if (!door) throw new Error(`door ${no} of ${t.sn} not stored`);
    return door;
  };
  const eventsOf = (sn: string): Promise<EventRow[]> =>
    h.query<EventRow>(
      'SELECT code, level, name, person_id, device_index::text, source, door_no, in_out FROM access_event WHERE device_sn = $1 ORDER BY created_at',
      [sn],
    );
  const waitEvent = (sn: string, code: number): Promise<EventRow> =>
    eventually(`event ${code} of ${sn}`, async () => (await eventsOf(sn)).find((e) => e.code === code));

  const iclock = (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${h.app.url}/iclock/${path}`, init);

  beforeAll(async () => {
    h = await startHarness({ DEVICE_OFFLINE_AFTER_MS: String(OFFLINE_AFTER_MS), PUSH_REQUEST_DELAY_SEC: '1' });
  });

  afterAll(async () => {
    for (const t of terminals) await t.stop();
    await h?.close();
  });

  it('auto-enrols an unknown terminal when PUSH_AUTO_ENROLL is on: registry, doors, readers, online', async () => {
    const t = await terminal({ doorCount: 2 });
    const device = await deviceOf(t);
    expect(device).toMatchObject({
      sn: t.sn,
      enrollment: 'auto',
      approval: 'approved',
      protocol: 'acc',
      doorCount: 2,
      readerCount: 4,
      model: 'F20/M',
      online: true,
      registryCode: t.registration.registryCode,
      sessionId: t.registration.sessionId,
    });
    expect(device.capabilities?.[2]).toBe('1');
    expect(device.areaId).not.toBeNull();
    const doors = await h.app.get(DoorRepository).byDevice(device.id);
    expect(doors.map((d) => d.doorNo)).toEqual([1, 2]);
    const readers = await h.query('SELECT * FROM reader WHERE door_id = $1', [doors[0].id]);
    expect(readers).toHaveLength(2);

    // A second power-on is a handshake of a known device: same registration, no new row.
    await t.restart();
    await t.waitOnline();
    expect((await deviceOf(t)).registryCode).toBe(device.registryCode);
    expect(await h.query('SELECT id FROM device WHERE sn = $1', [t.sn])).toHaveLength(1);
  });

  it('stores events with the level of their code and raises alarms for exception and alarm levels', async () => {
    const t = await terminal();
    const seen: string[] = [];
    const off = h.app.get(DomainEvents).on('alarm.created', ({ event }) => seen.push(`${event.code}:${event.level}`));
    try {
      const [swipe] = await t.swipeCard('99887766', 1);
      expect(swipe.code).toBe(27);
      expect(await waitEvent(t.sn, 27)).toMatchObject({ level: 'exception', name: 'Unregistered Personnel' });

      const [forced] = await t.forceDoor(1);
      expect(forced.code).toBe(102);
      expect(await waitEvent(t.sn, 102)).toMatchObject({ level: 'alarm', name: 'Opened Forcefully' });
      await t.closeDoor(1);
      expect(await waitEvent(t.sn, 201)).toMatchObject({ level: 'normal' });

      const alarms = await h.query<{ code: number; level: string; confirmed: boolean }>(
        `SELECT e.code, a.level, a.confirmed FROM alarm a JOIN access_event e ON e.id = a.event_id
          WHERE e.device_sn = $1 ORDER BY e.code`,
        [t.sn],
      );
      expect(alarms).toEqual([
        { code: 27, level: 'exception', confirmed: false },
        { code: 102, level: 'alarm', confirmed: false },
      ]);
      expect(seen).toEqual(expect.arrayContaining(['27:exception', '102:alarm']));

      // rtstate: the forced-open alarm bit was reported for door 1.
      const door = await eventually('door alarm state', async () => {
        const d = await doorOf(t, 1);
        return d.alarmState & 1 ? d : undefined;
      });
      expect(door.stateUpdatedAt).not.toBeNull();
    } finally {
      off();
    }
  });

  it('sends a remote unlock to the terminal and reports its result; idempotent; refused when offline', async () => {
    const t = await terminal();
    const door = await doorOf(t, 1);
    const control = h.app.get(DoorControlService);
    const commands = h.app.get(DeviceCommandService);

    const cmd = await control.openDoor(door.id, { seconds: 7, idempotencyKey: `open-${t.sn}`, actor: 'operator:test' });
    expect(cmd.text).toBe('CONTROL DEVICE 01010107');
    expect(cmd.status).toBe('queued');
    const again = await control.openDoor(door.id, { seconds: 7, idempotencyKey: `open-${t.sn}` });
    expect(again.id).toBe(cmd.id);

    const done = await commands.awaitResult(cmd.id, 5_000);
    expect(done).toMatchObject({ status: 'acked', returnCode: 0 });
    expect(done.sentAt).not.toBeNull();
    expect(t.door(1).relayOpen).toBe(true);
    expect(await waitEvent(t.sn, 8)).toMatchObject({ level: 'normal', name: 'Remote Opening' });
    const rows = await h.query('SELECT id FROM device_command WHERE idempotency_key = $1', [`open-${t.sn}`]);
    expect(rows).toHaveLength(1);

    // An unsupported command comes back failed with the terminal's return code.
    const bad = await commands.enqueue((await deviceOf(t)).id, 'CONTROL DEVICE 09010000', { kind: 'test' });
    expect(await commands.awaitResult(bad.id, 5_000)).toMatchObject({ status: 'failed', returnCode: -708 });

    await t.stop();
    await eventually('device offline', async () => !(await deviceOf(t)).online, 5_000);
    await expect(control.openDoor(door.id)).rejects.toMatchObject({ code: 'DEVICE_OFFLINE' });
    await expect(control.openDoor('00000000-0000-4000-8000-000000000000')).rejects.toBeInstanceOf(AccessCoreException);
  });

  it('marks a silent terminal offline after the timeout and raises event 700; back online when it polls', async () => {
    const t = await terminal();
    const statuses: boolean[] = [];
    const off = h.app.get(DomainEvents).on('device.status', ({ device, online }) => {
      if (device.sn === t.sn) statuses.push(online);
    });
    try {
      await t.stop();
      const stoppedAt = Date.now();
      await eventually('device offline', async () => !(await deviceOf(t)).online, 5_000);
      expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(OFFLINE_AFTER_MS - 200);
      expect(await waitEvent(t.sn, 700)).toMatchObject({ level: 'alarm', name: 'Lost Connect', source: 'server' });
      await t.start();
      await t.waitOnline();
      await eventually('device online', async () => (await deviceOf(t)).online);
      expect(statuses).toEqual([false, true]);
    } finally {
      off();
    }
  });

  it('pushes a person and their access level; their card then opens the door (event 0)', async () => {
    const t = await terminal({ doorCount: 2 });
    const people = h.app.get(PersonRepository);
    const levels = h.app.get(AccessLevelRepository);
    const pin = `7${snCounter}01`;
    const person = await people.orm.save(
      people.orm.create({
        pin,
        firstName: 'Ada',
        lastName: 'Lovelace',
        cardNo: `55${snCounter}0001`,
        idNumber: 'ID-998877-SECRET',
        phone: '+15550100',
      }),
    );
    const tz = await levels.timeZones.save(
      levels.timeZones.create({
        deviceTzId: 100 + snCounter,
        name: `Always ${snCounter}`,
        slots: Object.fromEntries(
          ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].map((d) => [d, [{ start: '00:00', end: '23:59' }]]),
        ),
      }),
    );
    const level = await levels.orm.save(levels.orm.create({ name: `Level ${t.sn}`, timeZoneId: tz.id }));
    await levels.setDoors(level.id, [(await doorOf(t, 2)).id]);
    await levels.addPerson(level.id, person.id);

    await h.app.get(SyncService).pushAccessLevel(level.id);
    await eventually('user and rights on the terminal', () => {
      const auth = t.tables.authorizations(pin);
      return t.tables.userByPinOrUndefined(pin) && auth.length === 1 && auth[0].doorMask === 2 ? true : undefined;
    });
    expect(t.tables.timezone(100 + snCounter)).toBeDefined();

    const [denied] = await t.swipeCard(person.cardNo!, 1);
    expect(denied.code).toBe(23);
    const [granted] = await t.swipeCard(person.cardNo!, 2);
    expect(granted.code).toBe(0);
    const row = await waitEvent(t.sn, 0);
    expect(row).toMatchObject({ level: 'normal', person_id: person.id });

    // Encryption at rest: the raw column never holds the plaintext; the entity does.
    const [raw] = await h.query<{ id_number_enc: string; phone_enc: string }>(
      'SELECT id_number_enc, phone_enc FROM person WHERE id = $1',
      [person.id],
    );
    expect(raw.id_number_enc).toMatch(/^enc1:[0-9a-f]{8}:/);
    expect(raw.id_number_enc).not.toContain('998877');
    expect(raw.phone_enc).not.toContain('5550100');
    expect((await people.findById(person.id))?.idNumber).toBe('ID-998877-SECRET');

    // Export, then erase: the person is gone, their events stay anonymous, terminals are told.
    const data = h.app.get(PersonDataService);
    const exported = await data.exportPerson(person.id);
    expect(exported.person).toMatchObject({ pin, idNumber: 'ID-998877-SECRET', phone: '+15550100' });
    expect(exported.accessLevels).toEqual([`Level ${t.sn}`]);
    expect(exported.events.map((e) => e.code)).toEqual(expect.arrayContaining([0, 23]));
    await data.erasePerson(person.id, 'operator:test');
    expect(await people.findById(person.id)).toBeNull();
    expect(
      await h.query('SELECT id FROM access_event WHERE pin = $1 OR person_id = $2', [pin, person.id]),
    ).toHaveLength(0);
    // The delete waits behind the other queued commands; a loaded machine needs more than 10 s.
    await eventually(
      'user deleted on the terminal',
      () => (t.tables.userByPinOrUndefined(pin) ? undefined : true),
      30_000,
    );
  });

  it('locks every door of a lockdown group, re-applies it after a terminal restart, and releases it', async () => {
    const t = await terminal({ doorCount: 2 });
    const groups = h.app.get(LockdownGroupRepository);
    const group = await groups.orm.save(groups.orm.create({ name: `Lockdown ${t.sn}` }));
    const doors = [await doorOf(t, 1), await doorOf(t, 2)];
    await groups.setDoors(
      group.id,
      doors.map((d) => d.id),
    );
    const lockdown = h.app.get(LockdownService);
    const commands = h.app.get(DeviceCommandService);

    const activated = await lockdown.activate(group.id, 'operator:test');
    expect(activated.group).toMatchObject({ active: true, activatedBy: 'operator:test' });
    for (const c of activated.commands)
      expect(await commands.awaitResult(c.id, 5_000)).toMatchObject({ status: 'acked', returnCode: 0 });
    expect(t.door(1).lockedDown && t.door(2).lockedDown).toBe(true);
    expect(
      (
        await h.query<{ locked_down: boolean }>('SELECT locked_down FROM door WHERE id = ANY($1)', [
          doors.map((d) => d.id),
        ])
      ).every((d) => d.locked_down),
    ).toBe(true);
    await waitEvent(t.sn, 233);
    const [refused] = await t.swipeCard('12345', 1);
    expect(refused.code).toBe(27); // unknown card is still refused first
    t.tables.update(
      'user',
      new KeyValueRecord([
        ['Pin', '42'],
        ['CardNo', '4242'],
      ]),
    );
    t.tables.update(
      'userauthorize',
      new KeyValueRecord([
        ['Pin', '42'],
        ['AuthorizeDoorId', '3'],
      ]),
    );
    expect((await t.swipeCard('4242', 2))[0].code).toBe(63);

    // Power cycle: the terminal forgets the remote lock; access-core sends it again.
    await t.restart();
    await t.waitOnline();
    await eventually('lock re-applied after restart', () => t.door(1).lockedDown && t.door(2).lockedDown);
    expect((await t.swipeCard('4242', 1))[0].code).toBe(63);

    const cancelled = await lockdown.cancel(group.id, 'operator:test');
    expect(cancelled.group.active).toBe(false);
    for (const c of cancelled.commands)
      expect(await commands.awaitResult(c.id, 5_000)).toMatchObject({ status: 'acked' });
    expect(t.door(1).lockedDown || t.door(2).lockedDown).toBe(false);
    expect((await t.swipeCard('4242', 1))[0].code).toBe(0);
  });

  it('asks registered code verifiers for remote verification (QR codes)', async () => {
    const t = await terminal();
    h.app.get(RemoteVerificationService).register({
      name: 'test-qr',
      verifyCode: (code) =>
        Promise.resolve(code === `GOOD-${t.sn}` ? { ok: true, pin: '4711' } : { ok: false, reason: 'unknown code' }),
    });
    const [accepted] = await t.verifyQr(`GOOD-${t.sn}`, 1);
    expect(accepted).toMatchObject({ code: 0, pin: '4711' });
    const [refused] = await t.verifyQr('BAD', 1);
    expect(refused.code).toBe(44);
    expect(await waitEvent(t.sn, 44)).toMatchObject({ level: 'exception' });
  });

  it('de-duplicates a re-sent rtlog by the device index and skips bad lines', async () => {
    const t = await terminal();
    await t.stop(); // raw requests from here on, with the terminal's SN
    const line = (index: number, event = 27): string =>
      `time=2024-05-01 10:00:00\tpin=0\tcardno=777\teventaddr=1\tevent=${event}\tinoutstatus=0\tverifytype=4\tindex=${index}`;
    const body = [line(9001), 'garbage without fields', 'event=abc\ttime=nope', line(9002, 200)].join('\r\n') + '\r\n';
    for (let i = 0; i < 2; i++) {
      const res = await iclock(`cdata?SN=${t.sn}&table=rtlog`, { method: 'POST', body });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('OK');
    }
    const rows = (await eventsOf(t.sn)).filter((e) => e.device_index === '9001' || e.device_index === '9002');
    expect(rows.map((r) => r.device_index).sort()).toEqual(['9001', '9002']);
  });

  it('stores every event of a terminal whose record index restarts, and a re-sent line once', async () => {
    const nextSecond = async (): Promise<void> => {
      const now = Math.floor(Date.now() / 1000);
      await eventually('the next second', () => Math.floor(Date.now() / 1000) > now);
    };
    const rows = (sn: string) =>
      h.query<{ device_index: string; card_no: string; raw: string; alarm: string | null }>(
        `SELECT e.device_index::text, e.card_no, e.raw, a.id AS alarm
           FROM access_event e LEFT JOIN alarm a ON a.event_id = e.id
          WHERE e.device_sn = $1 AND e.code = 27 ORDER BY e.created_at, e.device_index`,
        [sn],
      );
    const first = await terminal();
    const sn = first.sn;
    const live: string[] = [];
    const off = h.app.get(DomainEvents).on('alarm.created', ({ event }) => {
      if (event.deviceSn === sn) live.push(`${event.deviceIndex}:${event.cardNo}`);
    });
    try {
      for (const card of ['5001', '5002', '5003']) await first.swipeCard(card, 1);
      await eventually('three events', async () => (await rows(sn)).length === 3);
      await first.stop();

      // The simulator runs again with the same SN (the way `npm start` restarts it): index 1 again.
      await nextSecond();
      const second = await terminal({ sn });
      for (const card of ['6001', '6002', '6003']) await second.swipeCard(card, 1);
      await eventually('six events', async () => (await rows(sn)).length === 6);

      // A factory reset (or a cleared log) restarts the index once more.
      await nextSecond();
      await second.restart({ factoryReset: true });
      await second.waitOnline();
      const [again] = await second.swipeCard('7001', 1);
      expect(again.index).toBe(1);
      await eventually('seven events', async () => (await rows(sn)).length === 7);

      const stored = await rows(sn);
      expect(stored.map((r) => `${r.device_index}:${r.card_no}`)).toEqual([
        '1:5001',
        '2:5002',
        '3:5003',
        '1:6001',
        '2:6002',
        '3:6003',
        '1:7001',
      ]);
      expect(stored.every((r) => r.alarm !== null)).toBe(true); // 27 is exception-level: every one an alarm
      await eventually('every alarm live', () => live.length === 7);
      expect(live.sort()).toEqual(['1:5001', '1:6001', '1:7001', '2:5002', '2:6002', '3:5003', '3:6003']);

      // The terminal sending the same line again (a lost answer) is stored once, and says so.
      const resent = await iclock(`cdata?SN=${sn}&table=rtlog`, { method: 'POST', body: `${stored[6].raw}\r\n` });
      expect(await resent.text()).toBe('OK');
      expect(await rows(sn)).toHaveLength(7);
      expect(
        h.lines.some((l) => l.msg === 're-sent events already stored; skipped' && l.sn === sn && l.skipped === 1),
      ).toBe(true);
    } finally {
      off();
    }
  });

  it('keeps the good lines of an rtlog whose numbers are out of range, skipping the bad ones, and answers OK', async () => {
    const t = await terminal();
    await t.stop();
    const line = (index: string, over: Record<string, string> = {}): string =>
      Object.entries({
        time: '2024-05-02 10:00:00',
        pin: '0',
        cardno: '778',
        eventaddr: '1',
        event: '27',
        inoutstatus: '0',
        verifytype: '4',
        index,
        ...over,
      })
        .map(([k, v]) => `${k}=${v}`)
        .join('\t');
    const body =
      [
        line('9101'),
        line('9102', { event: '99999999999' }), // beyond any event code (and PostgreSQL's integer)
        line('9103', { eventaddr: '4294967296' }), // not a door: stored without one
        line('9104', { inoutstatus: '88888888888' }), // not a direction: stored without one
        line('9105', { index: '999999999999999' }), // a 15-digit record id still fits
      ].join('\r\n') + '\r\n';
    const res = await iclock(`cdata?SN=${t.sn}&table=rtlog`, { method: 'POST', body });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('OK');
    const rows = (await eventsOf(t.sn)).filter((e) =>
      ['9101', '9102', '9103', '9104', '999999999999999'].includes(e.device_index ?? ''),
    );
    expect(rows.map((r) => r.device_index).sort()).toEqual(['9101', '9103', '9104', '999999999999999']);
    const byIndex = new Map(rows.map((r) => [r.device_index, r]));
    expect(byIndex.get('9103')).toMatchObject({ door_no: null });
    expect(byIndex.get('9104')).toMatchObject({ in_out: null });
    expect(
      h.lines.some(
        (l) => l.msg === 'terminal lines set aside' && l.sn === t.sn && l.table === 'rtlog' && l.count === 1,
      ),
    ).toBe(true);
    // A command result with an impossible return code is skipped the same way.
    const cmd = await iclock(`devicecmd?SN=${t.sn}`, {
      method: 'POST',
      body: 'ID=9101&Return=99999999999&CMD=CONTROL DEVICE\r\n',
    });
    expect(cmd.status).toBe(200);
    expect(await cmd.text()).toBe('OK');
    expect(
      h.lines.some(
        (l) => l.msg === 'terminal lines set aside' && l.sn === t.sn && l.endpoint === 'devicecmd' && l.count === 1,
      ),
    ).toBe(true);
  });

  it('answers table data with counts, Attendance PUSH ATTLOG with OK:<n>, and time with DateTime', async () => {
    const t = await terminal({ mode: 'att' });
    expect((await deviceOf(t)).protocol).toBe('att');
    const body = [
      '1001\t2024-05-01 08:00:00\t0\t1\t0\t0\t0',
      '1002\t2024-05-01 08:01:00\t1\t15\t0\t0\t0',
      'nonsense',
    ].join('\n');
    for (let i = 0; i < 2; i++) {
      const res = await iclock(`cdata?SN=${t.sn}&table=ATTLOG&Stamp=1`, { method: 'POST', body });
      expect(await res.text()).toBe('OK:3');
    }
    const punches = (await eventsOf(t.sn)).filter((e) => e.source === 'attlog');
    expect(punches).toHaveLength(2);

    const table = await iclock(`cdata?SN=${t.sn}&table=tabledata&tablename=user&count=2`, {
      method: 'POST',
      body: 'user uid=1\tpin=1\nuser uid=2\tpin=2\n',
    });
    expect(await table.text()).toBe('user=2');
    const time = await iclock(`rtdata?SN=${t.sn}&type=time`);
    expect(await time.text()).toMatch(/^DateTime=\d+,ServerTZ=[+-]\d{4}$/);
    expect(time.headers.get('date')).toMatch(/GMT$/);
  });

  it('refuses garbage with the protocol answer and one log line, and keeps serving', async () => {
    const t = await terminal();
    const unknown = await iclock('getrequest?SN=NOPE0001');
    expect(unknown.status).toBe(401);
    expect((await iclock('getrequest')).status).toBe(400);
    expect((await iclock(`cdata?SN=${t.sn}&table=bogus`, { method: 'POST', body: 'x=1' })).status).toBe(400);
    expect((await iclock(`nowhere?SN=${t.sn}`)).status).toBe(404);
    const big = await iclock(`cdata?SN=${t.sn}&table=rtlog`, { method: 'POST', body: 'x'.repeat(1024 * 1024 + 10) });
    expect(big.status).toBe(413);
    expect(big.headers.get('date')).toBeTruthy();
    expect(h.lines.filter((l) => l.msg === 'terminal request refused' && l.reason === 'unknown device')).toHaveLength(
      1,
    );

    const before = t.queuedCount;
    expect(before).toBe(0);
    const [ev] = await t.swipeCard('31337', 1);
    expect(ev.code).toBe(27);
    expect(t.online).toBe(true);
  });
});
