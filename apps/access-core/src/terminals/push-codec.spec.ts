import {
  controlDevice,
  encodePushTime,
  encodeTimeSlot,
  normalizeCardNo,
  parseCommaText,
  parseDeviceCmdResults,
  parseDeviceTime,
  parseQuery,
  parseRtstate,
  parseTabRecord,
  pushToken,
} from './push-codec';
import { eventLevel, eventName } from '../events/event-codes';

describe('push codec', () => {
  it('writes CONTROL DEVICE bytes in hex', () => {
    expect(controlDevice(1, 1, 1, 5)).toBe('CONTROL DEVICE 01010105');
    expect(controlDevice(1, 2, 1, 200)).toBe('CONTROL DEVICE 010201C8');
    expect(controlDevice(6, 3, 1, 0)).toBe('CONTROL DEVICE 06030100');
  });

  it('parses keys case-insensitively, CRLF tolerant', () => {
    const kv = parseTabRecord('Time=2017-01-10 11:49:32\tPIN=0\tEvent=27\r');
    expect(kv.int('event')).toBe(27);
    expect(kv.get('time')).toBe('2017-01-10 11:49:32');
    const reg = parseCommaText('DeviceType=acc,~DeviceName=F20/M,LockCount=2\r\nbroken,,=x');
    expect(reg.get('~devicename')).toBe('F20/M');
    expect(reg.int('lockcount')).toBe(2);
    expect(parseQuery('/iclock/cdata?sn=A1&TABLE=rtlog').get('SN')).toBe('A1');
    expect(() => parseQuery('/iclock/cdata?%E0%A4%A=1&SN')).not.toThrow();
  });

  it('parses devicecmd results with spaces in CMD, several per body', () => {
    const { results, badLines } = parseDeviceCmdResults(
      'ID=221&Return=0&CMD=CONTROL DEVICE\r\nID=info8&Return=-13&CMD=DATA\nnope\n',
    );
    expect(results).toEqual([
      { id: '221', returnCode: 0, cmd: 'CONTROL DEVICE' },
      { id: 'info8', returnCode: -13, cmd: 'DATA' },
    ]);
    expect(badLines).toEqual(['nope']);
  });

  it('decodes rtstate bits per door', () => {
    const doors = parseRtstate(parseTabRecord('time=x\tsensor=0009\trelay=02\talarm=0110000000000000'), 2);
    expect(doors).toEqual([
      { sensor: 1, relayOpen: false, alarm: 1 },
      { sensor: 2, relayOpen: true, alarm: 0x10 },
    ]);
    expect(parseRtstate(parseTabRecord('sensor=zz\trelay=00\talarm=00'), 1)).toBeNull();
  });

  it('encodes time, slots, tokens; parses device times and cards', () => {
    expect(encodePushTime(new Date(2017, 0, 10, 11, 49, 32))).toBe(
      (17 * 372 + 0 + 9) * 86400 + 11 * 3600 + 49 * 60 + 32,
    );
    expect(encodeTimeSlot('08:30', '12:00')).toBe(54396080);
    expect(encodeTimeSlot('25:00', '12:00')).toBeNull();
    expect(pushToken('R', 'SN', 'S')).toMatch(/^[0-9a-f]{32}$/);
    expect(parseDeviceTime('2024-02-30 10:00:00')).toBeNull();
    expect(parseDeviceTime('2024-02-29 10:00:00')?.getDate()).toBe(29);
    expect(normalizeCardNo('[15CD5B07]')).toBe('123456789');
    expect(normalizeCardNo('0')).toBeNull();
    expect(normalizeCardNo('00042')).toBe('42');
  });

  it('maps event codes to levels and names (docs/push-protocol.md §7)', () => {
    expect([0, 19, 200, 255, 4001].map(eventLevel)).toEqual(['normal', 'normal', 'normal', 'normal', 'normal']);
    expect([20, 27, 63, 99, 5001].map(eventLevel)).toEqual(Array(5).fill('exception'));
    expect([100, 102, 199, 6001, 700].map(eventLevel)).toEqual(Array(5).fill('alarm'));
    expect(eventName(27)).toBe('Unregistered Personnel');
    expect(eventName(9999)).toBe('Event 9999');
  });
});
