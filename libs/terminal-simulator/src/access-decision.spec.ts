import { decideAccess, type AccessDecisionInput } from './access-decision';
import { encodePushTime, encodeTimeSlot, parseTabRecord, type PushTimeParts } from './push-codec';
import { TerminalTables } from './terminal-tables';

// Wednesday 2024-05-15 10:30:00
const NOW: PushTimeParts = { year: 2024, month: 5, day: 15, hour: 10, minute: 30, second: 0 };

function tables(): TerminalTables {
  const t = new TerminalTables();
  t.update('user', parseTabRecord('Pin=1\tCardNo=1001\tName=Ann\tStartTime=0\tEndTime=0'));
  t.update('userauthorize', parseTabRecord('Pin=1\tAuthorizeTimezoneId=1\tAuthorizeDoorId=1\tDevID=1'));
  return t;
}

function decide(t: TerminalTables, over: Partial<AccessDecisionInput> = {}): number {
  return decideAccess({
    tables: t,
    credential: { kind: 'card', cardno: '1001' },
    door: 1,
    now: NOW,
    doorLocked: false,
    checkDoorRights: true,
    ...over,
  }).event;
}

describe('decideAccess (docs/push-protocol.md §10.4 order)', () => {
  it('grants a known, enabled, valid, authorised card in its time zone on an unlocked door', () => {
    expect(decide(tables())).toBe(0);
  });

  it('unknown credential → 27, before anything else', () => {
    expect(decide(tables(), { credential: { kind: 'card', cardno: '999' }, doorLocked: true })).toBe(27);
    expect(decide(tables(), { credential: { kind: 'pin', pin: '2' } })).toBe(27);
  });

  it('disabled → 39, even when also expired and unauthorised', () => {
    const t = tables();
    t.update('user', parseTabRecord(`Pin=1\tDisable=1\tEndTime=${encodePushTime({ ...NOW, year: 2020 })}`));
    t.delete('userauthorize', '*');
    expect(decide(t)).toBe(39);
  });

  it('expired (endtime past) → 29, before door rights; not-yet-valid also 29', () => {
    const t = tables();
    t.update('user', parseTabRecord(`Pin=1\tEndTime=${encodePushTime({ ...NOW, hour: 10, minute: 29 })}`));
    t.delete('userauthorize', '*');
    expect(decide(t)).toBe(29);
    const u = tables();
    u.update('user', parseTabRecord(`Pin=1\tStartTime=${encodePushTime({ ...NOW, day: 16 })}`));
    expect(decide(u)).toBe(29);
    const v = tables();
    v.update('user', parseTabRecord(`Pin=1\tEndTime=${encodePushTime({ ...NOW, day: 16 })}`));
    expect(decide(v)).toBe(0);
  });

  it('no userauthorize row covering the door → 23 (door bitmask)', () => {
    const t = tables();
    expect(decide(t, { door: 2 })).toBe(23);
    t.update('userauthorize', parseTabRecord('Pin=1\tAuthorizeTimezoneId=1\tAuthorizeDoorId=3\tDevID=1'));
    expect(decide(t, { door: 2 })).toBe(0);
    expect(decide(t, { door: 3 })).toBe(23);
  });

  it('outside every time zone of the matching rows → 22, before the lock check', () => {
    const t = tables();
    t.update('timezone', parseTabRecord(`TimezoneId=2\tWedTime1=${encodeTimeSlot(800, 1000)}`));
    t.update('userauthorize', parseTabRecord('Pin=1\tAuthorizeTimezoneId=2\tAuthorizeDoorId=2\tDevID=1'));
    expect(decide(t, { door: 2, doorLocked: true })).toBe(22);
    t.update('timezone', parseTabRecord(`TimezoneId=2\tWedTime2=${encodeTimeSlot(1030, 1200)}`));
    expect(decide(t, { door: 2 })).toBe(0);
  });

  it('uses the holiday slots on a holiday (looping holidays match any year)', () => {
    const t = tables();
    t.update(
      'timezone',
      parseTabRecord(`TimezoneId=3\tWedTime1=${encodeTimeSlot(0, 2359)}\tHol2Time1=${encodeTimeSlot(1200, 1300)}`),
    );
    t.update('userauthorize', parseTabRecord('Pin=1\tAuthorizeTimezoneId=3\tAuthorizeDoorId=4\tDevID=1'));
    expect(decide(t, { door: 3 })).toBe(0);
    t.update('holiday', parseTabRecord('Holiday=20200515\tHolidayType=2\tLoop=1'));
    expect(decide(t, { door: 3 })).toBe(22);
  });

  it('remote-locked door → 63 only after all person checks pass', () => {
    expect(decide(tables(), { doorLocked: true })).toBe(63);
  });

  it('attendance mode skips door rights and time zones', () => {
    const t = tables();
    t.delete('userauthorize', '*');
    expect(decide(t, { checkDoorRights: false })).toBe(0);
  });

  it('matches cards written as little-endian hex', () => {
    const t = tables();
    t.update('user', parseTabRecord('Pin=1\tCardNo=[15CD5B07]'));
    expect(decide(t, { credential: { kind: 'card', cardno: '123456789' } })).toBe(0);
  });
});

describe('TerminalTables', () => {
  it('rejects records without their key (-11) and unknown tables (-629)', () => {
    const t = new TerminalTables();
    expect(() => t.update('user', parseTabRecord('Name=x'))).toThrow(expect.objectContaining({ returnCode: -11 }));
    expect(() => t.update('firstcard', parseTabRecord('Pin=1'))).toThrow(expect.objectContaining({ returnCode: -629 }));
    expect(() => t.update('user', parseTabRecord('Pin=1\tEndTime=soon'))).toThrow(
      expect.objectContaining({ returnCode: -11 }),
    );
  });

  it('deleting a user removes their authorisations; query filters by key', () => {
    const t = tables();
    t.update('user', parseTabRecord('Pin=2\tCardNo=2002'));
    expect(t.query('user', '*')).toHaveLength(2);
    expect(t.query('user', 'Pin=2')[0]).toMatch(/^user uid=2\tcardno=2002\tpin=2/);
    expect(t.delete('user', parseTabRecord('Pin=1'))).toBe(1);
    expect(t.authorizations('1')).toEqual([]);
    expect(t.count('user')).toBe(1);
  });
});
