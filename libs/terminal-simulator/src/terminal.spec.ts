/**
 * Integration spec: a SimulatedTerminal against a real HTTP server on 127.0.0.1.
 *
 * `PushFixtureServer` below is a TEST FIXTURE FOR THE SIMULATOR ONLY. It plays the server role
 * of docs/push-protocol.md just far enough to exercise
 * the terminal; it is not access-core and nothing else should import it.
 */
import http from 'node:http';
import { type AddressInfo } from 'node:net';
import {
  encodePushTime,
  formatRtlog,
  parseAttlog,
  parseDeviceCmdResults,
  parseKeyValueText,
  parseRtlog,
  parseRtstate,
  partsFromUtcDate,
  pushToken,
  splitLines,
  type AttlogRecord,
  type DeviceCmdResult,
  type RtlogRecord,
} from './push-codec';
import { SimulatedTerminal, type SimulatedTerminalOptions, type TerminalEvent } from './terminal';

interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly cookie: string | undefined;
  readonly body: string;
}

class PushFixtureServer {
  readonly requests: SeenRequest[] = [];
  /** How long the server takes to answer an upload (ms). */
  uploadDelayMs = 0;
  /** Status for an `rtlog` upload instead of 200 (undefined: accept it). */
  rtlogStatus: (body: string) => number | undefined = () => undefined;
  readonly devices = new Map<string, { registryCode: string; sessionId: string }>();
  readonly commands = new Map<string, string[]>();
  readonly results: DeviceCmdResult[] = [];
  readonly resultPosts: string[] = [];
  readonly rtlog: RtlogRecord[] = [];
  readonly rtstate: string[] = [];
  readonly attlogPosts: AttlogRecord[][] = [];
  readonly querydata: SeenRequest[] = [];
  /** Replies for the next ATTLOG uploads (default `OK:<n>`). */
  readonly attlogReplies: string[] = [];
  authReply: (body: string) => string = () => 'AUTH=FAILED';
  badTokens = 0;
  private server: http.Server | undefined;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async listen(): Promise<void> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://x');
        const seen: SeenRequest = {
          method: req.method ?? '',
          path: url.pathname,
          query: url.searchParams,
          cookie: req.headers.cookie,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        this.requests.push(seen);
        const { status, body, headers } = this.handle(seen);
        const reply = (): void => {
          res.writeHead(status, { 'Content-Type': 'text/plain', ...headers });
          res.end(body);
        };
        if (this.uploadDelayMs > 0 && seen.path === '/iclock/cdata') setTimeout(reply, this.uploadDelayMs);
        else reply();
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Simulates the server going away (connections dropped, port closed). */
  async down(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  queue(sn: string, ...lines: string[]): void {
    this.commands.set(sn, [...(this.commands.get(sn) ?? []), ...lines]);
  }

  private tokenOk(sn: string, cookie: string | undefined): boolean {
    const d = this.devices.get(sn);
    return !!d && (cookie ?? '').includes(`token=${pushToken(d.registryCode, sn, d.sessionId)}`);
  }

  private registryBlock(d: { registryCode: string; sessionId: string }, withCode: boolean): string {
    return [
      ...(withCode ? ['registry=ok', `RegistryCode=${d.registryCode}`] : []),
      'ServerVersion=3.1.2',
      'ServerName=ADMS',
      'PushProtVer=3.1.2',
      'PushVersion=3.1.2',
      'ErrorDelay=30',
      'RequestDelay=10',
      'TransTimes=00:00;14:00',
      'TransInterval=1',
      'Realtime=1',
      `SessionID=${d.sessionId}`,
      'TimeoutSec=10',
    ].join('\r\n');
  }

  private handle(r: SeenRequest): { status: number; body: string; headers?: Record<string, string> } {
    const sn = r.query.get('SN') ?? '';
    const ok = (body = 'OK'): { status: number; body: string } => ({ status: 200, body });
    switch (`${r.method} ${r.path}`) {
      case 'GET /iclock/cdata': {
        if (r.query.get('pushver')?.startsWith('2.')) {
          return ok(
            `GET OPTION FROM: ${sn}\nATTLOGStamp=None\nErrorDelay=30\nDelay=10\nServerVer=2.4.1\nPushProtVer=2.4.1`,
          );
        }
        const d = this.devices.get(sn);
        return ok(d ? this.registryBlock(d, true) : 'OK');
      }
      case 'POST /iclock/registry': {
        const caps = parseKeyValueText(r.body);
        if (caps.get('DeviceType') !== 'acc') return { status: 406, body: '' };
        const d = { registryCode: `RC${sn.slice(-4)}`, sessionId: `S${Date.now().toString(16).toUpperCase()}` };
        this.devices.set(sn, d);
        return {
          status: 200,
          body: `RegistryCode=${d.registryCode}`,
          headers: { 'Set-Cookie': `JSESSIONID=${d.sessionId}; Path=/` },
        };
      }
      case 'POST /iclock/push': {
        const d = this.devices.get(sn);
        if (!d || !this.tokenOk(sn, r.cookie)) return { status: 401, body: '' };
        return ok(this.registryBlock(d, false));
      }
      case 'GET /iclock/rtdata':
        return ok(`DateTime=${encodePushTime(partsFromUtcDate(new Date()))},ServerTZ=+0000`);
      case 'GET /iclock/ping':
        return ok();
      case 'GET /iclock/getrequest': {
        if (this.devices.has(sn) && !this.tokenOk(sn, r.cookie)) this.badTokens++;
        const lines = this.commands.get(sn) ?? [];
        this.commands.set(sn, []);
        return ok(lines.length ? lines.join('\n') : 'OK');
      }
      case 'POST /iclock/devicecmd':
        this.resultPosts.push(r.body);
        this.results.push(...parseDeviceCmdResults(r.body));
        return ok();
      case 'POST /iclock/querydata':
        this.querydata.push(r);
        return ok(`${r.query.get('tablename')}=${r.query.get('count')}`);
      case 'POST /iclock/cdata': {
        if (r.query.get('AuthType') === 'device') return ok(this.authReply(r.body));
        const lines = splitLines(r.body);
        switch (r.query.get('table') ?? '') {
          case 'rtlog': {
            const refused = this.rtlogStatus(r.body);
            if (refused !== undefined) return { status: refused, body: 'refused' };
            this.rtlog.push(...lines.map((l) => parseRtlog(l)!));
            return ok();
          }
          case 'rtstate':
            this.rtstate.push(...lines);
            return ok();
          case 'ATTLOG':
            this.attlogPosts.push(lines.map((l) => parseAttlog(l)!));
            return ok(this.attlogReplies.shift() ?? `OK:${lines.length}`);
          default:
            return ok();
        }
      }
      default:
        return { status: 404, body: '' };
    }
  }
}

async function waitFor(cond: () => boolean, what: string, timeoutMs = 4000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('SimulatedTerminal against a PUSH server', () => {
  let server: PushFixtureServer;
  const terminals: SimulatedTerminal[] = [];

  function terminal(over: Partial<SimulatedTerminalOptions> = {}): SimulatedTerminal {
    const t = new SimulatedTerminal({
      serverUrl: server.url,
      sn: `SIM${terminals.length + 1}0000000001`.slice(0, 13),
      requestDelayMs: 40,
      errorDelayMs: 80,
      requestTimeoutMs: 2000,
      ...over,
    });
    t.on('error', () => undefined);
    terminals.push(t);
    return t;
  }

  beforeEach(async () => {
    server = new PushFixtureServer();
    await server.listen();
  });

  afterEach(async () => {
    await Promise.all(terminals.splice(0).map((t) => t.stop()));
    await server.down();
  });

  it('registers (handshake → registry → push), then polls with the token cookie', async () => {
    const t = terminal({ sn: 'CJDE000000001', doorCount: 2 });
    const registered = new Promise((resolve) => t.once('registered', resolve));
    await t.start();
    await t.waitOnline(3000);
    await registered;
    await waitFor(() => server.requests.some((r) => r.path === '/iclock/getrequest'), 'a poll');

    const paths = server.requests.map((r) => `${r.method} ${r.path}`);
    expect(paths.slice(0, 5)).toEqual([
      'GET /iclock/cdata',
      'POST /iclock/registry',
      'POST /iclock/push',
      'GET /iclock/rtdata',
      expect.stringMatching(/POST \/iclock\/cdata|GET \/iclock\/getrequest/),
    ]);
    const hs = server.requests[0].query;
    expect([hs.get('SN'), hs.get('options'), hs.get('pushver'), hs.get('DeviceType')]).toEqual([
      'CJDE000000001',
      'all',
      '3.1.2',
      'acc',
    ]);
    const caps = parseKeyValueText(server.requests[1].body);
    expect(caps.get('DeviceType')).toBe('acc');
    expect(caps.get('~DeviceName')).toBe('F20/M');
    expect(caps.get('PushVersion')).toBe('3.1.2');
    expect(caps.getInt('LockCount')).toBe(2);
    expect(caps.get('AccSupportFunList')![2]).toBe('1');

    const d = server.devices.get('CJDE000000001')!;
    expect(t.registration).toEqual(d);
    const poll = server.requests.find((r) => r.path === '/iclock/getrequest')!;
    expect(poll.cookie).toBe(`token=${pushToken(d.registryCode, 'CJDE000000001', d.sessionId)}`);
    expect(server.badTokens).toBe(0);
    // Initial door state was reported: both doors closed, relays off.
    await waitFor(() => server.rtstate.length > 0, 'rtstate');
    expect(parseRtstate(server.rtstate[0], 2)!.doors.map((x) => x.relayOpen)).toEqual([false, false]);

    // A power cycle: the server knows the device, so no second registry.
    await t.restart();
    await t.waitOnline(3000);
    expect(server.requests.filter((r) => r.path === '/iclock/registry')).toHaveLength(1);
  });

  it('runs CONTROL DEVICE 01010101: event 8, Return=0, relay open then closed after 1 s', async () => {
    const t = terminal();
    await t.start();
    await t.waitOnline(3000);
    const sn = t.sn;
    server.queue(sn, 'C:221:CONTROL DEVICE 01010101', 'C:222:FOO BAR', 'C:223:CONTROL DEVICE 0101');
    t.pollNow();
    await waitFor(() => server.results.length === 3, 'three results');
    expect(server.results).toEqual([
      { id: '221', returnCode: 0, cmd: 'CONTROL DEVICE' },
      { id: '222', returnCode: -13, cmd: 'FOO BAR' },
      { id: '223', returnCode: -10, cmd: 'CONTROL DEVICE' },
    ]);
    expect(server.resultPosts).toHaveLength(1); // one poll, one batch
    await waitFor(() => server.rtlog.some((e) => e.event === 8), 'event 8');
    expect(server.rtlog.find((e) => e.event === 8)).toMatchObject({ eventaddr: 1 });
    await waitFor(() => server.rtstate.some((l) => parseRtstate(l, 1)!.doors[0].relayOpen), 'rtstate relay open');
    expect(t.door(1).relayOpen).toBe(true);
    const opened = Date.now();
    await waitFor(() => !t.door(1).relayOpen, 'relay closes', 3000);
    expect(Date.now() - opened).toBeGreaterThan(700);
    await waitFor(() => !parseRtstate(server.rtstate.at(-1)!, 1)!.doors[0].relayOpen, 'rtstate relay closed');

    // A re-sent command id is answered again without acting twice.
    const eights = server.rtlog.filter((e) => e.event === 8).length;
    server.queue(sn, 'C:221:CONTROL DEVICE 01010101');
    t.pollNow();
    await waitFor(() => server.results.length === 4, 'duplicate result');
    expect(server.results[3]).toEqual({ id: '221', returnCode: 0, cmd: 'CONTROL DEVICE' });
    expect(server.rtlog.filter((e) => e.event === 8)).toHaveLength(eights);
  });

  it('applies DATA UPDATE user + userauthorize, then decides swipes: 0, 27, and 63 after a remote lock', async () => {
    const t = terminal({ driveTimeSec: 1 });
    await t.start();
    await t.waitOnline(3000);
    server.queue(
      t.sn,
      'C:301:DATA UPDATE user CardNo=123456\tPin=7\tPassword=\tGroup=0\tStartTime=0\tEndTime=0\tName=Ann\tPrivilege=0',
      'C:302:DATA UPDATE userauthorize Pin=7\tAuthorizeTimezoneId=1\tAuthorizeDoorId=1\tDevID=1',
      'C:303:DATA COUNT user',
      'C:304:DATA QUERY tablename=user,fielddesc=*,filter=*',
    );
    t.pollNow();
    await waitFor(() => server.results.length === 4, 'data results');
    expect(server.results.map((r) => r.returnCode)).toEqual([0, 0, 1, 1]);
    expect(server.querydata.map((q) => q.query.get('type'))).toEqual(['count', 'tabledata']);
    expect(server.querydata[1].body).toMatch(/^user uid=7\tcardno=123456\tpin=7/);
    expect(server.querydata[1].query.get('cmdid')).toBe('304');

    const [granted] = await t.swipeCard('123456');
    expect(granted).toMatchObject({ code: 0, pin: '7', door: 1 });
    expect(server.rtlog.at(-1)).toMatchObject({ event: 0, pin: '7', cardno: '123456', index: granted.index });
    expect(t.door(1).relayOpen).toBe(true);

    const [unknown] = await t.swipeCard('999');
    expect(unknown.code).toBe(27);
    expect(server.rtlog.at(-1)).toMatchObject({ event: 27, index: unknown.index });

    server.queue(t.sn, 'C:305:CONTROL DEVICE 06010100');
    t.pollNow();
    await waitFor(() => server.rtlog.some((e) => e.event === 233), 'event 233');
    expect(t.door(1)).toMatchObject({ lockedDown: true, relayOpen: false });
    const [locked] = await t.swipeCard('123456');
    expect(locked.code).toBe(63);
    expect(server.rtlog.at(-1)!.event).toBe(63);

    server.queue(t.sn, 'C:306:CONTROL DEVICE 06010000');
    t.pollNow();
    await waitFor(() => server.rtlog.some((e) => e.event === 234), 'event 234');
    expect((await t.swipeCard('123456'))[0].code).toBe(0);
  });

  it('keeps events raised while the server is down and uploads them in order, indexes intact', async () => {
    const t = terminal();
    await t.start();
    await t.waitOnline(3000);
    const before = (await t.swipeCard('1'))[0];
    await waitFor(() => server.rtlog.length === 1, 'first event');

    await server.down();
    await waitFor(() => !t.online, 'terminal notices the server is gone');
    const offline: TerminalEvent[] = [];
    offline.push(...(await t.swipeCard('2')));
    offline.push(...(await t.pressExitButton(1)));
    offline.push(...(await t.tamper()));
    expect(offline.map((e) => e.index)).toEqual([before.index + 1, before.index + 2, before.index + 3]);
    expect(t.queuedCount).toBeGreaterThanOrEqual(3);

    await server.listen(); // same port
    await t.waitOnline(3000);
    await waitFor(() => server.rtlog.length === 4, 'buffered events uploaded');
    expect(server.rtlog.map((e) => [e.index, e.event])).toEqual([
      [before.index, 27],
      [before.index + 1, 27],
      [before.index + 2, 202],
      [before.index + 3, 100],
    ]);
    await waitFor(() => t.queuedCount === 0, 'queue drained');
  });

  it('uploads an injected raw record under the next index, in order, re-sent until accepted; reports every answer', async () => {
    const t = terminal();
    const answers: { path: string; status: number }[] = [];
    t.on('response', (r) => answers.push({ path: r.path, status: r.status }));
    await t.start();
    await t.waitOnline(3000);
    const [first] = await t.swipeCard('1');
    server.rtlogStatus = (body) => (body.includes('\u0000') ? 500 : undefined);
    const garbled = t.injectRawRecord((index) =>
      formatRtlog({
        time: first.time,
        pin: '0',
        cardno: '12\u000034',
        eventaddr: 1,
        event: 27,
        inoutstatus: 0,
        verifytype: 4,
        index,
      }),
    );
    expect(garbled).toBe(first.index + 1);
    const [behind] = await t.swipeCard('2');
    expect(behind.index).toBe(first.index + 2);
    await waitFor(
      () => answers.filter((a) => a.path === '/iclock/cdata' && a.status === 500).length >= 2,
      'the garbled batch refused twice',
    );
    expect(server.rtlog.map((e) => e.index)).toEqual([first.index]);
    expect(t.queuedCount).toBeGreaterThanOrEqual(2);

    server.rtlogStatus = () => undefined;
    await waitFor(() => server.rtlog.length === 3, 'the garbled record and the one behind it accepted');
    expect(server.rtlog.map((e) => e.index)).toEqual([first.index, garbled, behind.index]);
    expect(answers.some((a) => a.path === '/iclock/getrequest' && a.status === 200)).toBe(true);
  });

  it('uploads a backlog in batches and sends a heartbeat between them only once the poll interval has passed', async () => {
    async function backlogUpload(requestDelayMs: number): Promise<string[]> {
      const t = terminal({ uploadBatchSize: 2, requestDelayMs });
      await t.start();
      await t.waitOnline(3000);
      await server.down();
      await waitFor(() => !t.online, 'terminal notices the server is gone');
      for (let i = 0; i < 6; i++) await t.swipeCard(String(100 + i));
      const from = server.requests.length;
      await server.listen();
      await t.waitOnline(5000);
      await waitFor(() => t.queuedCount === 0, 'backlog uploaded');
      await t.stop();
      return server.requests
        .slice(from)
        .filter((r) => r.path === '/iclock/ping' || r.path === '/iclock/cdata')
        .map((r) =>
          r.path === '/iclock/ping' ? 'ping' : `${r.query.get('table')}×${r.body.trim().split('\n').length}`,
        );
    }
    // A backlog uploaded within one poll interval: three batches back to back.
    // A backlog uploaded within one poll interval: three batches back to back, no heartbeat.
    const quick = (await backlogUpload(60_000)).join(' ');
    expect(quick).toContain('rtlog×2 rtlog×2 rtlog×2');
    expect(quick).not.toContain('ping');
    // A poll interval shorter than one batch: the server hears from the terminal between batches.
    server.uploadDelayMs = 30;
    expect((await backlogUpload(10)).join(' ')).toContain('ping rtlog×2 ping rtlog×2 ping rtlog×2');
  });

  it('asks the server about QR codes (remote verification) and obeys the verdict', async () => {
    const t = terminal();
    await t.start();
    await t.waitOnline(3000);
    const asked: string[] = [];
    server.authReply = (body) => {
      asked.push(body);
      return body.includes('cardno=GOOD-QR')
        ? 'AUTH=SUCCESS\r\ntime=x\tpin=42\tcardno=GOOD-QR\r\nCONTROL DEVICE 01010102'
        : 'AUTH=FAILED';
    };
    const [ok] = await t.verifyQr('GOOD-QR');
    expect(ok).toMatchObject({ code: 0, pin: '42' });
    expect(t.door(1).relayOpen).toBe(true);
    const req = parseKeyValueText(asked[0].replace(/\t/g, ','));
    expect([req.get('cardno'), req.get('addrtype'), req.get('eventaddr')]).toEqual(['GOOD-QR', '2', '1']);
    const [bad] = await t.verifyQr('STALE-QR');
    expect(bad.code).toBe(44);
    expect(server.rtlog.map((e) => e.event)).toEqual([0, 44]);
  });

  it('att mode: uploads ATTLOG and re-sends a batch answered with a bare OK', async () => {
    const t = terminal({ mode: 'att', sn: 'ATT0000000001' });
    await t.start();
    await t.waitOnline(3000);
    expect(server.requests.some((r) => r.path === '/iclock/registry')).toBe(false);
    server.queue(
      t.sn,
      'C:401:DATA UPDATE USERINFO PIN=9\tName=Bo\tPri=0\tPasswd=\tCard=555\tGrp=1\tTZ=0000000000000000',
    );
    t.pollNow();
    await waitFor(() => server.results.length === 1, 'USERINFO result');
    expect(server.results[0].returnCode).toBe(0);

    server.attlogReplies.push('OK');
    const [ev] = await t.swipeCard('555');
    expect(ev).toMatchObject({ code: 0, pin: '9', queued: true });
    expect(server.attlogPosts).toHaveLength(1);
    expect(t.queuedCount).toBe(1); // bare OK: not acknowledged
    await waitFor(() => server.attlogPosts.length === 2 && t.queuedCount === 0, 'ATTLOG re-sent');
    expect(server.attlogPosts[1]).toEqual(server.attlogPosts[0]);
    expect(server.attlogPosts[1][0]).toMatchObject({ pin: '9', status: 0, verify: 4 });
    expect(server.requests.some((r) => r.path === '/iclock/cdata' && r.query.get('table') === 'rtlog')).toBe(false);

    // Failed verifications are not attendance punches.
    const [denied] = await t.swipeCard('777');
    expect(denied).toMatchObject({ code: 27, queued: false });
    expect(server.attlogPosts).toHaveLength(2);
  });

  it('CONTROL DEVICE 03 restarts after reporting: handshakes again, loses the remote lock, keeps tables', async () => {
    const t = terminal();
    await t.start();
    await t.waitOnline(3000);
    server.queue(t.sn, 'C:601:DATA UPDATE user Pin=1\tCardNo=11', 'C:602:CONTROL DEVICE 06000100');
    t.pollNow();
    await waitFor(() => server.results.length === 2, 'setup results');
    expect(t.door(1).lockedDown).toBe(true);
    const handshakes = (): number =>
      server.requests.filter((r) => r.method === 'GET' && r.path === '/iclock/cdata').length;
    const before = handshakes();
    server.queue(t.sn, 'C:603:CONTROL DEVICE 03000000');
    t.pollNow();
    await waitFor(() => server.results.length === 3 && handshakes() > before && t.online, 'restart');
    expect(server.results[2]).toEqual({ id: '603', returnCode: 0, cmd: 'CONTROL DEVICE' });
    expect(t.door(1).lockedDown).toBe(false);
    expect(t.tables.count('user')).toBe(1);
  });

  it('raises forced-open, open-too-long and cancel-alarm with the right alarm bits', async () => {
    const t = terminal({ detectorTimeSec: 1 });
    await t.start();
    await t.waitOnline(3000);
    const [forced] = await t.forceDoor(1);
    expect(forced.code).toBe(102);
    expect(t.door(1).alarm & 1).toBe(1);
    await t.closeDoor(1);
    const held = await t.holdDoorOpen(1, { untilTimeout: true });
    expect(held.map((e) => e.code)).toEqual([102, 28]);
    expect(t.door(1).alarm & 16).toBe(16);
    server.queue(t.sn, 'C:501:CONTROL DEVICE 02010000');
    t.pollNow();
    await waitFor(() => server.rtlog.some((e) => e.event === 7), 'cancel alarm');
    expect(t.door(1).alarm).toBe(0);
    expect(server.rtlog.map((e) => e.event)).toEqual([102, 201, 102, 28, 7]);
  });
});
