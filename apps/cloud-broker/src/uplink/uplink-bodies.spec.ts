import { parseDevices, parseEventLogs, parseNotifications, parseSettings } from './uplink-bodies';
import { UplinkError } from './uplink-error';

function problem(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof UplinkError) return `${err.code}: ${err.message}`;
    throw err;
  }
  throw new Error('no problem reported');
}

const notification = {
  type: 'alarm',
  title: 'Door forced',
  body: 'Gate 1 forced open',
  data: { doorId: 1 },
  createdAt: '2025-01-02T03:04:05.000Z',
};

describe('uplink bodies', () => {
  it('takes notifications with integer or token ids and keeps the ids as sent', () => {
    const parsed = parseNotifications({
      items: [
        { id: 7, recipients: ['admin:1', 'personnel:p-9'], notification },
        { id: 'evt-8', recipients: [], notification: { ...notification, type: 'notification', data: null } },
      ],
    });
    expect(parsed.ids).toEqual([7, 'evt-8']);
    expect(parsed.items.map((i) => i.id)).toEqual(['7', 'evt-8']);
    expect(parsed.items[0]?.notification).toEqual(notification);
  });

  it('leaves bad items out, naming each bad field, and takes the rest', () => {
    const parsed = parseNotifications({
      items: [
        { id: 'a:b', recipients: ['root:1'], notification: { ...notification, type: 'info', extra: true } },
        { id: 9, recipients: 'admin:1', notification },
        { id: 10, recipients: ['admin:1'], notification },
      ],
    });
    expect(parsed.ids).toEqual([10]);
    expect(parsed.rejected).toEqual([
      {
        index: 0,
        problems: [
          'items[0].id must be a non-negative integer or 1-64 of A-Z a-z 0-9 . _ -',
          'items[0].recipients must hold "admin:<id>" or "personnel:<id>"',
          'items[0].notification.extra is not a known field',
          'items[0].notification.type must be alarm or notification',
        ],
      },
      { index: 1, id: 9, problems: ['items[1].recipients must be an array of at most 1000'] },
    ]);
  });

  it('refuses a malformed envelope whole', () => {
    expect(problem(() => parseNotifications({ items: 'x' }))).toBe(
      'UPLINK_VALIDATION_FAILED: body.items must be an array',
    );
  });

  it('bounds batches, strings and the data object', () => {
    expect(problem(() => parseDevices({ items: new Array(101).fill({}) }))).toContain('at most 100 items');
    expect(problem(() => parseDevices([]))).toContain('body must be a JSON object');
    expect(problem(() => parseDevices({ items: [], more: 1 }))).toContain('body.more is not a known field');
    const big = { ...notification, data: { blob: 'x'.repeat(3000) } };
    expect(parseNotifications({ items: [{ id: 1, recipients: [], notification: big }] }).rejected[0]?.problems).toEqual(
      ['items[0].notification.data must be at most 2048 bytes of JSON'],
    );
  });

  it('acknowledges devices by the id the site gave them, else by serial number', () => {
    const d = { sn: 'SN1', name: 'Gate', online: true, firmware: '1.0', area: 'Lobby', lastSeenAt: null };
    expect(
      parseDevices({
        items: [
          { ...d, id: '17' },
          { ...d, sn: 'SN2' },
        ],
      }).ids,
    ).toEqual(['17', 'SN2']);
    expect(parseDevices({ items: [{ ...d, id: 'a:b' }] }).rejected[0]?.problems).toEqual([
      'items[0].id must be a non-negative integer or 1-64 of A-Z a-z 0-9 . _ -',
    ]);
  });

  it('keeps the last state of a device sent twice in one batch', () => {
    const d = { sn: 'SN1', name: 'Gate', online: false, firmware: null, area: null, lastSeenAt: null };
    const parsed = parseDevices({ items: [d, { ...d, online: true }] });
    expect(parsed.ids).toEqual(['SN1', 'SN1']);
    expect(parsed.items).toEqual([{ ...d, online: true }]);
  });

  it('takes event logs with numeric or text event codes and refuses person data fields', () => {
    const log = {
      id: 1,
      time: '2025-01-02T03:04:05Z',
      deviceSn: 'SN1',
      deviceName: 'Gate',
      eventCode: 27,
      eventName: 'Unregistered user',
      level: 'warning',
    };
    expect(parseEventLogs({ items: [log, { ...log, id: 2, eventCode: 'E-1' }] }).items.map((l) => l.eventCode)).toEqual(
      ['27', 'E-1'],
    );
    expect(parseEventLogs({ items: [{ ...log, personName: 'Ann' }] }).rejected).toEqual([
      { index: 0, id: 1, problems: ['items[0].personName is not a known field'] },
    ]);
    expect(parseEventLogs({ items: [{ ...log, time: 'yesterday' }] }).rejected[0]?.problems).toEqual([
      'items[0].time must be an ISO 8601 date-time',
    ]);
  });

  it('refuses, item by item, strings PostgreSQL cannot store as sent (U+0000, lone surrogates)', () => {
    const parsed = parseNotifications({
      items: [
        { id: 1, recipients: [], notification: { ...notification, body: 'a\u0000b' } },
        { id: 2, recipients: [], notification: { ...notification, title: 'x\ud800' } },
        { id: 3, recipients: [], notification: { ...notification, data: { list: [{ ['k\u0000']: 1 }] } } },
        { id: 4, recipients: [], notification: { ...notification, createdAt: '2025-01-02T03:04:05Z\u0000' } },
        { id: 5, recipients: [], notification: { ...notification, title: 'Fire \ud83d\udd25' } },
      ],
    });
    expect(parsed.ids).toEqual([5]);
    expect(parsed.rejected.map((r) => r.problems)).toEqual([
      ['items[0].notification.body must not contain U+0000'],
      ['items[1].notification.title must be well-formed Unicode (no lone surrogate)'],
      ['items[2].notification.data.list[0] key must not contain U+0000'],
      ['items[3].notification.createdAt must be an ISO 8601 date-time'],
    ]);
    const d = { sn: 'SN1', name: 'Gate\u0000', online: true, firmware: null, area: null, lastSeenAt: null };
    expect(parseDevices({ items: [d] }).rejected).toEqual([
      { index: 0, id: 'SN1', problems: ['items[0].name must not contain U+0000'] },
    ]);
  });

  it('takes settings as two booleans', () => {
    expect(parseSettings({ pushToApp: true, pushDataToCloud: false })).toEqual({
      pushToApp: true,
      pushDataToCloud: false,
    });
    expect(problem(() => parseSettings({ pushToApp: 'yes' }))).toContain('body.pushToApp must be true or false');
  });
});
