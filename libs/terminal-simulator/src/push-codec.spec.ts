import fc from 'fast-check';
import {
  KeyValueRecord,
  accSupportFunList,
  commandResultName,
  decodePushTime,
  decodeTimeSlot,
  encodePushTime,
  encodeTimeSlot,
  formatAttlog,
  formatControlDeviceArgs,
  formatDeviceCmdResult,
  formatRtlog,
  formatRtstate,
  normalizeCardNo,
  parseAttlogAck,
  parseAuthReply,
  parseCommandReply,
  parseCommandText,
  parseDeviceCmdResults,
  parseKeyValueText,
  parsePushDateTime,
  parseRtlog,
  parseRtstate,
  parseZoneOffset,
  pushToken,
} from './push-codec';

describe('PUSH time encoding', () => {
  it('decodes DateTime=583050990', () => {
    expect(decodePushTime(583050990)).toEqual({ year: 2018, month: 2, day: 22, hour: 6, minute: 36, second: 30 });
  });

  it('encodes per ((Y-2000)*372 + (M-1)*31 + D-1)*86400 + h*3600 + m*60 + s', () => {
    expect(encodePushTime({ year: 2000, month: 1, day: 1, hour: 0, minute: 0, second: 0 })).toBe(0);
    expect(encodePushTime({ year: 2017, month: 1, day: 10, hour: 11, minute: 49, second: 32 })).toBe(
      (17 * 372 + 9) * 86400 + 11 * 3600 + 49 * 60 + 32,
    );
    expect(encodePushTime({ year: 2018, month: 2, day: 22, hour: 6, minute: 36, second: 30 })).toBe(583050990);
  });

  it('round-trips every valid wall-clock time', () => {
    fc.assert(
      fc.property(
        fc.record({
          year: fc.integer({ min: 2000, max: 2099 }),
          month: fc.integer({ min: 1, max: 12 }),
          day: fc.integer({ min: 1, max: 31 }),
          hour: fc.integer({ min: 0, max: 23 }),
          minute: fc.integer({ min: 0, max: 59 }),
          second: fc.integer({ min: 0, max: 59 }),
        }),
        (t) => expect(decodePushTime(encodePushTime(t))).toEqual(t),
      ),
    );
  });

  it('rejects negative and fractional values', () => {
    expect(decodePushTime(-1)).toBeNull();
    expect(decodePushTime(1.5)).toBeNull();
  });

  it('parses rtlog date-times and zone offsets', () => {
    expect(parsePushDateTime('2017-01-10 11:49:32')).toEqual({
      year: 2017,
      month: 1,
      day: 10,
      hour: 11,
      minute: 49,
      second: 32,
    });
    expect(parsePushDateTime('2017-13-10 11:49:32')).toBeNull();
    expect(parseZoneOffset('+0800')).toBe(480);
    expect(parseZoneOffset('-05:30')).toBe(-330);
    expect(parseZoneOffset('8')).toBe(480);
    expect(parseZoneOffset('330')).toBe(330);
    expect(parseZoneOffset('x')).toBeNull();
  });
});

describe('registry / options replies', () => {
  it('reads a one-item-per-line registry block, CRLF, case-insensitively', () => {
    const kv = parseKeyValueText(
      'registry=ok\r\nRegistryCode=Uy47fxftP3\r\nServerVersion=3.1.2\r\nRequestDelay=10\r\nTransTimes=00:00;14:00\r\nSessionID=30BFB04B2C8AECC72C01C03BFD549D15\r\n',
    );
    expect(kv.get('registrycode')).toBe('Uy47fxftP3');
    expect(kv.getInt('REQUESTDELAY')).toBe(10);
    expect(kv.get('TransTimes')).toBe('00:00;14:00');
    expect(kv.get('sessionid')).toBe('30BFB04B2C8AECC72C01C03BFD549D15');
  });

  it('reads comma-separated options and skips items without "="', () => {
    const kv = parseKeyValueText('GET OPTION FROM: 123\nDateTime=583050990,ServerTZ=+0800');
    expect(kv.getInt('datetime')).toBe(583050990);
    expect(kv.get('servertz')).toBe('+0800');
    expect(kv.size).toBe(2);
  });

  it('KeyValueRecord: last duplicate wins, getInt only for integers', () => {
    const kv = new KeyValueRecord([
      ['Pin', '1'],
      ['PIN', '2'],
      ['Name', 'x'],
    ]);
    expect(kv.get('pin')).toBe('2');
    expect(kv.getInt('name')).toBeUndefined();
    expect(kv.getInt('missing')).toBeUndefined();
  });
});

describe('server command lines', () => {
  it('parses several commands per reply, LF or CRLF, ignoring OK and junk', () => {
    const reply = parseCommandReply(
      'C:221:CONTROL DEVICE 01010105\r\nC:222:CONTROL DEVICE 02010000\nC:223:CONTROL DEVICE 03000000\r\n',
    );
    expect(reply.commands.map((c) => c.id)).toEqual(['221', '222', '223']);
    expect(reply.commands.map((c) => c.command.kind)).toEqual(['control-device', 'control-device', 'control-device']);
    expect(parseCommandReply('OK').commands).toEqual([]);
    expect(parseCommandReply('OK\r\n').ignoredLines).toEqual([]);
    expect(parseCommandReply('hello').ignoredLines).toEqual(['hello']);
  });

  it('keeps string command ids', () => {
    expect(parseCommandReply('C:info8487:INFO').commands[0]).toMatchObject({
      id: 'info8487',
      command: { kind: 'noop', name: 'INFO' },
    });
  });

  it('reads CONTROL DEVICE bytes as hex, not decimal', () => {
    const open = parseCommandText('CONTROL DEVICE 01010105');
    expect(open).toEqual({
      kind: 'control-device',
      args: { operation: 1, target: 1, param1: 1, param2: 5, hex: '01010105' },
    });
    const ten = parseCommandText('control device 0102010a');
    expect(ten.kind === 'control-device' && ten.args).toMatchObject({ target: 2, param2: 10 });
    // "10" is sixteen seconds, not ten.
    const sixteen = parseCommandText('CONTROL DEVICE 01010110');
    expect(sixteen.kind === 'control-device' && sixteen.args.param2).toBe(16);
    const normallyOpen = parseCommandText('CONTROL DEVICE 010101FF');
    expect(normallyOpen.kind === 'control-device' && normallyOpen.args.param2).toBe(255);
    const withOperator = parseCommandText('CONTROL DEVICE 06010100 0A');
    expect(withOperator.kind === 'control-device' && withOperator.args).toMatchObject({
      operation: 6,
      param1: 1,
      operator: 10,
      hex: '060101000A',
    });
    expect(formatControlDeviceArgs({ operation: 1, target: 1, param1: 1, param2: 255 })).toBe('010101FF');
  });

  it('flags a malformed CONTROL DEVICE', () => {
    expect(parseCommandText('CONTROL DEVICE 0101').kind).toBe('malformed');
    expect(parseCommandText('CONTROL DEVICE 0101010G').kind).toBe('malformed');
  });

  it('parses DATA UPDATE user / userauthorize / timezone with TAB fields', () => {
    const user = parseCommandText(
      'DATA UPDATE user CardNo=123456\tPin=1\tPassword=234\tGroup=0\tStartTime=0\tEndTime=0\tName=Ann Lee\tPrivilege=0',
    );
    expect(user.kind).toBe('data-update');
    if (user.kind !== 'data-update') return;
    expect(user.table).toBe('user');
    expect(user.records).toHaveLength(1);
    expect(user.records[0].get('pin')).toBe('1');
    expect(user.records[0].get('NAME')).toBe('Ann Lee');
    expect(user.records[0].get('cardno')).toBe('123456');

    const auth = parseCommandText('DATA UPDATE userauthorize Pin=1\tAuthorizeTimezoneId=1\tAuthorizeDoorId=3\tDevID=1');
    expect(auth.kind === 'data-update' && auth.records[0].getInt('authorizedoorid')).toBe(3);

    const tz = parseCommandText(`DATA UPDATE timezone TimezoneId=2\tSunTime1=${encodeTimeSlot(830, 1200)}\tMonTime1=0`);
    expect(tz.kind === 'data-update' && tz.records[0].getInt('suntime1')).toBe(54396080);
  });

  it('takes continuation lines as more records of the same DATA command', () => {
    const reply = parseCommandReply(
      'C:5:DATA UPDATE user Pin=1\tName=a\r\nuser Pin=2\tName=b\nPin=3\nC:6:DATA COUNT user\n',
    );
    expect(reply.commands).toHaveLength(2);
    const first = reply.commands[0].command;
    expect(first.kind === 'data-update' && first.records.map((r) => r.get('pin'))).toEqual(['1', '2', '3']);
    expect(reply.commands[1].command).toEqual({ kind: 'data-count', table: 'user' });
  });

  it('parses DATA DELETE, DATA COUNT, DATA QUERY (both forms)', () => {
    expect(parseCommandText('DATA DELETE user *')).toEqual({ kind: 'data-delete', table: 'user', conditions: ['*'] });
    const del = parseCommandText('DATA DELETE userauthorize Pin=7');
    expect(del.kind === 'data-delete' && (del.conditions[0] as KeyValueRecord).get('pin')).toBe('7');
    expect(parseCommandText('DATA DELETE user').kind).toBe('malformed');
    expect(parseCommandText('DATA COUNT User')).toEqual({ kind: 'data-count', table: 'user' });
    expect(parseCommandText('DATA QUERY tablename=transaction,fielddesc=*,filter=NewRecord')).toEqual({
      kind: 'data-query',
      table: 'transaction',
      fields: '*',
      filter: 'NewRecord',
    });
    expect(
      parseCommandText('DATA QUERY ATTLOG StartTime=2024-01-01 00:00:00\tEndTime=2024-01-02 00:00:00'),
    ).toMatchObject({ kind: 'data-query', table: 'attlog' });
  });

  it('parses SET OPTIONS (comma list), GET OPTIONS, attendance commands and unknowns', () => {
    const set = parseCommandText('SET OPTIONS Door1Drivertime=5,Door1Detectortime=15');
    expect(set.kind === 'set-options' && set.options.getInt('door1detectortime')).toBe(15);
    expect(parseCommandText('SET OPTIONS DateTime=583080894').kind).toBe('set-options');
    expect(parseCommandText('GET OPTIONS a,b')).toEqual({ kind: 'get-options', names: ['a', 'b'] });
    expect(parseCommandText('AC_UNLOCK').kind).toBe('ac-unlock');
    expect(parseCommandText('REBOOT').kind).toBe('reboot');
    expect(parseCommandText('CLEAR LOG').kind).toBe('clear-log');
    const unknown = parseCommandText('UPGRADE checksum=1');
    expect(unknown).toEqual({ kind: 'unknown', name: 'UPGRADE' });
    expect(commandResultName(unknown)).toBe('UPGRADE');
    expect(commandResultName(parseCommandText('DATA COUNT user'))).toBe('DATA');
    expect(commandResultName(parseCommandText('CONTROL DEVICE 01010105'))).toBe('CONTROL DEVICE');
  });
});

describe('upload and result formats', () => {
  it('formats rtlog in the usual key order and parses it back', () => {
    const line = formatRtlog({
      time: '2017-01-10 11:49:32',
      pin: '0',
      cardno: '0',
      eventaddr: 1,
      event: 27,
      inoutstatus: 1,
      verifytype: 0,
      index: 21,
    });
    expect(line).toBe(
      'time=2017-01-10 11:49:32\tpin=0\tcardno=0\tsitecode=0\tlinkid=0\teventaddr=1\tevent=27\tinoutstatus=1\tverifytype=0\tindex=21',
    );
    expect(parseRtlog(line + '\r')).toMatchObject({ event: 27, index: 21, eventaddr: 1 });
    expect(parseRtlog('time=x\tpin=1')).toBeNull();
  });

  it('formats rtstate: 2 sensor bits per door (door 1 lowest), relay bits, alarm byte per door', () => {
    const line = formatRtstate('2024-05-01 10:00:00', [
      { sensor: 0b10, relayOpen: true, alarm: 1 },
      { sensor: 0b01, relayOpen: false, alarm: 16 },
    ]);
    expect(line).toBe('time=2024-05-01 10:00:00\tsensor=0006\trelay=01\talarm=0110000000000000');
    expect(parseRtstate(line, 2)?.doors).toEqual([
      { sensor: 0b10, relayOpen: true, alarm: 1 },
      { sensor: 0b01, relayOpen: false, alarm: 16 },
    ]);
  });

  it('formats devicecmd results and parses them back', () => {
    expect(formatDeviceCmdResult({ id: '221', returnCode: 0, cmd: 'CONTROL DEVICE' })).toBe(
      'ID=221&Return=0&CMD=CONTROL DEVICE',
    );
    expect(parseDeviceCmdResults('ID=221&Return=0&CMD=CONTROL DEVICE\r\nID=222&Return=-13&CMD=DATA\n')).toEqual([
      { id: '221', returnCode: 0, cmd: 'CONTROL DEVICE' },
      { id: '222', returnCode: -13, cmd: 'DATA' },
    ]);
  });

  it('formats ATTLOG lines and reads OK:<n> acks (a bare OK is not an ack)', () => {
    expect(formatAttlog({ pin: '7', time: '2024-05-01 08:00:00', status: 0, verify: 15 })).toBe(
      '7\t2024-05-01 08:00:00\t0\t15\t0\t0\t0',
    );
    expect(parseAttlogAck('OK:3')).toBe(3);
    expect(parseAttlogAck('OK:3\r\n')).toBe(3);
    expect(parseAttlogAck('OK')).toBeNull();
  });

  it('reads remote-verification verdicts with the echoed record and CONTROL DEVICE', () => {
    const r = parseAuthReply('AUTH=SUCCESS\r\ntime=2024-05-01 10:00:00\tpin=42\tcardno=QR1\r\nCONTROL DEVICE 01010103');
    expect(r?.verdict).toBe('SUCCESS');
    expect(r?.record?.get('pin')).toBe('42');
    expect(r?.control?.param2).toBe(3);
    expect(parseAuthReply('AUTH=FAILED')?.verdict).toBe('FAILED');
    expect(parseAuthReply('OK')).toBeNull();
  });
});

describe('credentials, slots, registration', () => {
  it('normalises cards: decimal, little-endian [hex], empty', () => {
    expect(normalizeCardNo('[15CD5B07]')).toBe('123456789');
    expect(normalizeCardNo('000123')).toBe('123');
    expect(normalizeCardNo('')).toBe('');
    expect(normalizeCardNo('0')).toBe('');
  });

  it('encodes time slots (08:30–12:00 = 54396080)', () => {
    expect(encodeTimeSlot(830, 1200)).toBe(54396080);
    expect(decodeTimeSlot(54396080)).toEqual({ start: 830, end: 1200 });
  });

  it('computes the token as hex MD5(RegistryCode+SN+SessionID)', () => {
    // md5("abc") — the concatenation is the whole input.
    expect(pushToken('a', 'b', 'c')).toBe('900150983cd24fb0d6963f7d28e17f72');
  });

  it('builds AccSupportFunList bit strings', () => {
    const s = accSupportFunList([2, 3], 8);
    expect(s).toBe('00110000');
  });
});
