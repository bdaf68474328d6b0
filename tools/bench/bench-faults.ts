/**
 * `npm run bench:faults [-- --quick] [-- --json FILE] [-- --faults a,b] [-- --rate N] [-- --unlock-rate N]
 *  [-- --fuzz-cases N] [-- --database-url URL] [-- --verbose]`
 *
 * The fault matrix: a site behind the cloud as real processes from dist/ (access-core, broker,
 * connector; the broker on a PostgreSQL cluster and a Redis server this benchmark starts for
 * itself), four simulated terminals raising refused card swipes at a steady rate, an
 * administrator on the live stream through the cloud (the SDK's resumable stream, as an app),
 * and remote unlocks with Idempotency-Keys at a steady rate through the cloud (the SDK's
 * commands). Then, one after another: kill -9 of the connector, of the broker and of
 * access-core (each restarted), a short outage of the broker's PostgreSQL and of its Redis, a
 * terminal whose record index starts again at 1, and a PUSH batch with a poisoned line. Every
 * event, delivery and unlock is counted against ground truth (fault-ledger.ts). Then the PUSH
 * fuzz: 100,000 random and malformed requests against the same access-core.
 *
 * Exit code 0 only when every target is met; 1 when one is missed; 2 when the harness failed.
 */
import fs from 'node:fs';
import crypto from 'node:crypto';
import { Client } from 'pg';
import { createNodeClient, decodeQrImage, isLanbridgeError } from '@lanbridge/mobile-sdk/node';
import {
  formatPushDateTime,
  formatRtlog,
  SimulatedTerminal,
  type PushCommand,
  type TerminalEvent,
} from '@lanbridge/terminal-simulator';
import { httpGetJson, TEST_DATABASE_URL, waitFor } from '@lanbridge/testing';
import { runPushFuzz, type PushFuzzReport } from '@lanbridge/testing/push-fuzz';
import { FaultLedger, type FaultReport, type OutageMark } from './fault-ledger';
import { FaultStack, SITE_ADMIN_PASSWORD, type StackPart } from './fault-stack';

const FAULTS = [
  'connector',
  'broker',
  'access-core',
  'broker-postgresql',
  'broker-redis',
  'index-restart',
  'poison',
] as const;
type Fault = (typeof FAULTS)[number];

/** Target: the whole path works again within this long after a restart or the end of an outage. */
const RECOVERY_TARGET_S = 5;
/** Body cap of the benchmark's access-core; the fuzz sends one body just above it. */
const PUSH_MAX_BODY_BYTES = 65_536;

interface Args {
  quick: boolean;
  json?: string;
  faults: Fault[];
  /** Card swipes per second, over the terminals. */
  rate: number;
  unlockRate: number;
  fuzzCases: number;
  fuzzConcurrency: number;
  /** Seconds a killed process stays down before it is restarted. */
  downS: number;
  /** Seconds the broker's PostgreSQL or Redis stays down. */
  outageS: number;
  /** Steady seconds before the first fault and after each one (after its recovery). */
  steadyS: number;
  /** How long to wait for recovery before moving on (the outage then counts as not recovered). */
  recoveryLimitS: number;
  seed: number;
  databaseUrl: string;
  verbose: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = {
    quick: false,
    faults: [...FAULTS],
    rate: 40,
    unlockRate: 2,
    fuzzCases: 100_000,
    fuzzConcurrency: 8,
    downS: 2,
    outageS: 3,
    steadyS: 5,
    recoveryLimitS: 60,
    seed: 19,
    databaseUrl: TEST_DATABASE_URL,
    verbose: false,
  };
  const given = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    given.add(k);
    const num = (): number => Number(argv[++i]);
    if (k === '--quick') a.quick = true;
    else if (k === '--json') a.json = argv[++i];
    else if (k === '--faults') a.faults = String(argv[++i]).split(',').filter(Boolean) as Fault[];
    else if (k === '--rate') a.rate = num();
    else if (k === '--unlock-rate') a.unlockRate = num();
    else if (k === '--fuzz-cases') a.fuzzCases = num();
    else if (k === '--fuzz-concurrency') a.fuzzConcurrency = num();
    else if (k === '--down') a.downS = num();
    else if (k === '--outage') a.outageS = num();
    else if (k === '--steady') a.steadyS = num();
    else if (k === '--recovery-limit') a.recoveryLimitS = num();
    else if (k === '--seed') a.seed = num();
    else if (k === '--database-url') a.databaseUrl = String(argv[++i]);
    else if (k === '--verbose') a.verbose = true;
    else throw new Error(`unknown argument ${k}`);
  }
  if (a.quick) {
    if (!given.has('--fuzz-cases')) a.fuzzCases = 5_000;
    if (!given.has('--down')) a.downS = 1;
    if (!given.has('--outage')) a.outageS = 2;
    if (!given.has('--steady')) a.steadyS = 3;
  }
  const bad = a.faults.filter((f) => !(FAULTS as readonly string[]).includes(f));
  if (bad.length) throw new Error(`unknown fault(s) ${bad.join(', ')}; known: ${FAULTS.join(', ')}`);
  if (!(a.rate > 0) || !(a.unlockRate >= 0) || !(a.fuzzCases >= 0) || !(a.fuzzConcurrency >= 1))
    throw new Error('--rate must be positive; --unlock-rate and --fuzz-cases not negative');
  if (!(a.downS >= 0) || !(a.outageS >= 0) || !(a.steadyS >= 0) || !(a.recoveryLimitS > 0))
    throw new Error('--down, --outage, --steady must not be negative; --recovery-limit positive');
  return a;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The rtlog line the terminal uploads for an event (the simulator formats it the same way). */
function lineOf(ev: TerminalEvent): string {
  return formatRtlog({
    time: ev.time,
    pin: ev.pin,
    cardno: ev.cardno,
    eventaddr: ev.door,
    event: ev.code,
    inoutstatus: ev.inOutStatus,
    verifytype: ev.verifyType,
    index: ev.index,
  });
}

/** `CONTROL DEVICE 01 <door> 01 <seconds>`: a timed door opening (what an unlock becomes). */
function isDoorOpening(cmd: PushCommand): boolean {
  if (cmd.kind !== 'control-device') return false;
  const a = cmd.args;
  return a.operation === 0x01 && a.param1 === 0x01 && a.param2 > 0x00 && a.param2 < 0xff;
}

interface FuzzResult {
  readonly cases: number;
  readonly responses_5xx: number;
  readonly no_answer: number;
  readonly seconds: number;
  readonly cases_per_s: number;
  readonly statuses: Readonly<Record<string, number>>;
  /** access-core exited, or stopped answering its readiness check, during or after the fuzz. */
  readonly process_lost: boolean;
  /** A real terminal still had a swipe stored afterwards. */
  readonly terminal_served: boolean;
  readonly failures: PushFuzzReport['failures'];
}

interface Target {
  readonly name: string;
  readonly value: string;
  readonly met: boolean;
}

function targetsOf(r: FaultReport, fuzz: FuzzResult | undefined, crashes: number, withUnlocks: boolean): Target[] {
  const t: Target[] = [
    { name: 'events lost = 0', value: String(r.events.lost), met: r.events.lost === 0 },
    { name: 'events duplicated = 0', value: String(r.events.duplicates), met: r.events.duplicates === 0 },
  ];
  if (withUnlocks)
    t.push({
      name: 'unlock executions = keys, each key once',
      value: `${r.unlocks.executions} / ${r.unlocks.keys} (once ${r.unlocks.keys_executed_once})`,
      met:
        r.unlocks.executions === r.unlocks.keys &&
        r.unlocks.keys_executed_once === r.unlocks.keys &&
        r.unlocks.unattributed_executions === 0,
    });
  for (const o of r.outages)
    t.push({
      name: `recovery after ${o.part} ≤ ${RECOVERY_TARGET_S} s`,
      value: o.recovered ? `${o.recovery_s} s` : `not within ${o.recovery_s} s`,
      met: o.recovered && o.recovery_s <= RECOVERY_TARGET_S,
    });
  t.push({ name: 'PUSH answers 5xx = 0', value: String(r.push_5xx), met: r.push_5xx === 0 });
  t.push({ name: 'processes that died unasked = 0', value: String(crashes), met: crashes === 0 });
  if (fuzz) {
    t.push({
      name: `PUSH fuzz: 5xx or no answer = 0 of ${fuzz.cases}`,
      value: `${fuzz.responses_5xx} + ${fuzz.no_answer}`,
      met: fuzz.responses_5xx === 0 && fuzz.no_answer === 0,
    });
    t.push({
      name: 'PUSH fuzz: no process lost, terminal still served',
      value: `${fuzz.process_lost ? 'access-core lost' : 'alive'}, ${fuzz.terminal_served ? 'served' : 'not served'}`,
      met: !fuzz.process_lost && fuzz.terminal_served,
    });
  }
  return t;
}

function table(header: readonly string[], rows: readonly (readonly (string | number | null)[])[]): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map((c) => (c === null ? '—' : String(c))).join(' | ')} |`),
  ];
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const runId = crypto.randomBytes(4).toString('hex');
  const ledger = new FaultLedger();
  const withUnlocks = args.unlockRate > 0;
  let phase = 'start-up';
  const setPhase = (name: string): void => {
    phase = name;
    ledger.phase(name);
    process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${name}\n`);
  };
  const crashes: { part: StackPart; code: number | null; phase: string }[] = [];
  const runErrors: string[] = [];

  process.stdout.write(
    'starting a private PostgreSQL and Redis for the broker, access-core, the broker, the connector and 4 simulated terminals...\n',
  );
  let stack: FaultStack | undefined;
  let pg: Client | undefined;
  let live: { close(): void } | undefined;
  const terminals: SimulatedTerminal[] = [];
  let stopLoops = false;
  const cleanup = async (): Promise<void> => {
    stopLoops = true;
    live?.close();
    await Promise.all(terminals.map((t) => t.stop().catch(() => undefined)));
    await pg?.end().catch(() => undefined);
    await stack?.stop().catch(() => undefined);
  };
  const onSignal = (): void => {
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    stack = await FaultStack.start({
      databaseUrl: args.databaseUrl,
      verbose: args.verbose,
      // Timers a site tuned for recovery within seconds would use; with the shipped defaults
      // (ErrorDelay 30 s, connector backoff up to 30 s) recovery is bounded by those instead.
      accessCoreEnv: {
        PUSH_REQUEST_DELAY_SEC: '1',
        PUSH_ERROR_DELAY_SEC: '1',
        PUSH_MAX_BODY_BYTES: String(PUSH_MAX_BODY_BYTES),
      },
      connectorEnv: { BACKOFF_BASE_MS: '200', BACKOFF_MAX_MS: '1000' },
      onCrash: (part, code) => {
        crashes.push({ part, code, phase });
        process.stdout.write(`  ${part} exited by itself (code ${code}) during ${phase}; restarting it\n`);
      },
    });
    const s = stack;
    pg = new Client({ connectionString: args.databaseUrl });
    await pg.connect();
    await pg.query(`SET search_path TO "${s.siteSchemaName}"`);
    const db = pg;

    // ---- terminals: every event, upload, answer and command goes into the ledger
    const issued = new Set<string>();
    /** The last record index each terminal used (a fresh terminal object starts again). */
    const lastIndex = new Map<string, number>();
    let cardSeq = 0;
    const nextCard = (): string => String(70_000_000 + ++cardSeq);
    const makeTerminal = (d: { sn: string; doors: number }): SimulatedTerminal => {
      const t = new SimulatedTerminal({
        serverUrl: s.accessCoreUrl,
        sn: d.sn,
        doorCount: d.doors,
        // Never drop a record: what the site refuses stays on the terminal and is counted there.
        maxQueue: 10_000_000,
      });
      t.on('error', () => undefined);
      t.on('event', (ev) => {
        lastIndex.set(t.sn, ev.index);
        try {
          ledger.raise({
            sn: t.sn,
            card: issued.has(ev.cardno) ? ev.cardno : undefined,
            code: ev.code,
            line: lineOf(ev),
            phase,
            at: Date.now(),
          });
        } catch (err) {
          runErrors.push(err instanceof Error ? err.message : String(err));
        }
      });
      t.on('uploaded', (b) => {
        if (b.table === 'rtlog') ledger.uploaded(t.sn, b.lines);
      });
      t.on('response', (r) => ledger.pushAnswer(phase, r.path, r.status));
      t.on('command', (o) => {
        if (!o.duplicate && isDoorOpening(o.command)) ledger.executed({ sn: t.sn, cmdId: o.id, at: Date.now(), phase });
      });
      return t;
    };
    for (const d of s.demo.devices) terminals.push(makeTerminal(d));
    for (const t of terminals) await t.start();
    await Promise.all(terminals.map((t) => t.waitOnline(60_000)));

    // ---- the administrator's app, through the cloud
    let qrText = '';
    await waitFor(
      'an organisation QR pinning the site key',
      async () => {
        const res = await fetch(`${s.connectorBase}/org-qr.png`);
        if (res.status !== 200) return false;
        qrText = decodeQrImage(Buffer.from(await res.arrayBuffer()));
        const payload = qrText.split('#')[1]?.split('.')[1] ?? '';
        return typeof (JSON.parse(Buffer.from(payload, 'base64url').toString()) as { skt?: string }).skt === 'string';
      },
      60_000,
    );
    const app = createNodeClient({
      trustedIssuers: [{ issuer: s.brokerUrl }],
      commandDeadlineMs: 60_000,
      commandRetryInitialDelayMs: 200,
      commandRetryMaxDelayMs: 1_000,
    });
    await app.scan(qrText);
    await app.login({ type: 'admin', username: 'admin', password: SITE_ADMIN_PASSWORD });
    const devices = await app.devices.list({ pageSize: 100 });
    const snOf = new Map(devices.items.map((d) => [d.id, d.sn]));
    const doors = await app.doors.list({ pageSize: 100 });
    // Terminal 0 gets its record index restarted (a new terminal object): no unlocks there, so
    // no command can be carried out twice by a terminal that forgot what it did.
    const indexSn = terminals[0].sn;
    const poisonIndex = terminals.length - 1;
    const unlockDoors = doors.items
      .filter((d) => snOf.get(d.deviceId) !== undefined && snOf.get(d.deviceId) !== indexSn)
      .map((d) => ({ id: d.id, sn: snOf.get(d.deviceId)! }));
    if (withUnlocks && unlockDoors.length === 0) throw new Error('no door to unlock');

    let streamState = 'connecting';
    const stream = app.watch({
      onEvent: (e) => {
        const eventId = e.type === 'alarm' ? (e.data as { eventId?: unknown }).eventId : undefined;
        if (typeof eventId === 'string') ledger.delivered(eventId, Date.now(), e.id);
      },
      onStatus: (st) => {
        streamState = st.state;
        if (st.state === 'closed' && !stopLoops) runErrors.push(`the live stream closed for good: ${st.reason}`);
      },
      // An app's default backoff grows to 30 s; capped at 1 s so recovery measures the site and the cloud.
      reconnectInitialDelayMs: 250,
      reconnectMaxDelayMs: 1_000,
    });
    live = stream;
    await waitFor('the live stream open', () => Promise.resolve(streamState === 'open'), 30_000);

    // ---- background: look up delivered alarms' rows, raise swipes, send unlocks
    setPhase('steady');
    const loops: Promise<void>[] = [];
    loops.push(
      (async () => {
        while (!stopLoops) {
          const ids = ledger.unresolvedDeliveries();
          if (ids.length > 0) {
            try {
              const { rows } = await db.query<{
                id: string;
                device_sn: string;
                card_no: string | null;
                raw: string | null;
              }>('SELECT id::text AS id, device_sn, card_no, raw FROM access_event WHERE id = ANY($1::uuid[])', [ids]);
              ledger.rowsFound(rows.map((r) => ({ id: r.id, deviceSn: r.device_sn, cardNo: r.card_no, raw: r.raw })));
            } catch (err) {
              runErrors.push(`row lookup: ${err instanceof Error ? err.message : String(err)}`);
            }
          }
          await sleep(200);
        }
      })(),
    );
    const paused = new Set<string>();
    let raising = true;
    loops.push(
      (async () => {
        const tickMs = 10;
        const perTick = args.rate / (1000 / tickMs);
        const start = performance.now();
        let raised = 0;
        let turn = 0;
        while (!stopLoops && raising) {
          const due = Math.floor(((performance.now() - start) / tickMs + 1) * perTick);
          while (raised < due) {
            raised++;
            for (let tries = 0; tries < terminals.length; tries++) {
              const t = terminals[turn++ % terminals.length];
              if (paused.has(t.sn) || !t.running) continue;
              const card = nextCard();
              issued.add(card);
              try {
                t.swipeCard(card, 1).catch(() => undefined);
              } catch {
                continue; // powered off between the check and the swipe: another terminal takes it
              }
              break;
            }
          }
          await sleep(tickMs);
        }
      })(),
    );
    const unlockCalls: Promise<void>[] = [];
    let unlocking = withUnlocks;
    if (withUnlocks) {
      loops.push(
        (async () => {
          const every = 1000 / args.unlockRate;
          const start = performance.now();
          for (let n = 0; !stopLoops && unlocking; n++) {
            const door = unlockDoors[n % unlockDoors.length];
            const key = `faults-${runId}-${n}`;
            ledger.unlockSent({ key, doorId: door.id, sn: door.sn, phase, at: Date.now() });
            unlockCalls.push(
              app.doors.unlock(door.id, 1, { idempotencyKey: key }).then(
                (o) => ledger.unlockAnswered(key, { at: Date.now(), result: o.status }),
                (err: unknown) =>
                  ledger.unlockAnswered(key, {
                    at: Date.now(),
                    result: `error:${isLanbridgeError(err) ? err.code : 'UNKNOWN'}`,
                  }),
              ),
            );
            await sleep(Math.max(0, start + (n + 1) * every - performance.now()));
          }
        })(),
      );
    }

    /** First 2xx of an authenticated request through the broker, sent at or after t0. */
    const probeApi = async (t0: number, until: () => boolean): Promise<number | undefined> => {
      while (!until()) {
        const sentAt = Date.now();
        try {
          const token = await app.accessToken();
          const res = await fetch(`${s.apiUrl}/api/v1/me`, {
            headers: { authorization: `Bearer ${token}` },
            signal: AbortSignal.timeout(2_000),
          });
          await res.arrayBuffer();
          if (res.ok && sentAt >= t0) return Date.now();
        } catch {
          // not yet
        }
        await sleep(100);
      }
      return undefined;
    };

    const outages: OutageMark[] = [];
    let indexRestart: { sn: string; last_index_before: number; last_index_after: number } | undefined;
    let poison: { sn: string; index: number } | undefined;
    const awaitRecovery = async (part: StackPart, t0: number): Promise<void> => {
      const deadline = t0 + args.recoveryLimitS * 1000;
      let done = false;
      const over = (): boolean => done || Date.now() >= deadline;
      let readyAt: number | undefined;
      let apiAt: number | undefined;
      const ready = (async () => {
        while (!over()) {
          if (await s.isReady(part)) return void (readyAt = Date.now());
          await sleep(100);
        }
      })();
      const api = probeApi(t0, over).then((t) => void (apiAt = t));
      while (!over()) {
        if (
          apiAt !== undefined &&
          ledger.firstDeliveryRaisedAfter(t0) !== undefined &&
          (!withUnlocks || ledger.firstUnlockAckedAfter(t0) !== undefined)
        )
          break;
        await sleep(100);
      }
      done = true;
      await Promise.all([ready, api]);
      outages.push({ part, t0, readyAt, apiAt, waitedMs: Date.now() - t0 });
    };

    // ---- the matrix
    await sleep(args.steadyS * 1000);
    for (const fault of args.faults) {
      setPhase(fault);
      switch (fault) {
        case 'connector':
        case 'broker':
        case 'access-core': {
          await s.stopPart(fault);
          await sleep(args.downS * 1000);
          const t0 = Date.now();
          await s.startPart(fault);
          await awaitRecovery(fault, t0);
          break;
        }
        case 'broker-postgresql':
        case 'broker-redis': {
          await s.stopPart(fault);
          await sleep(args.outageS * 1000);
          await s.startPart(fault);
          await awaitRecovery(fault, Date.now());
          break;
        }
        case 'index-restart': {
          // As when the stack restarts (or a terminal's log is cleared): the same terminal comes
          // back counting its records from 1. It first uploads what it holds, so nothing it
          // raised before is lost to the swap itself.
          const old = terminals[0];
          paused.add(old.sn);
          await waitFor('terminal 0 uploaded its queue', () => Promise.resolve(old.queuedCount === 0), 30_000).catch(
            () => runErrors.push(`index-restart: ${old.queuedCount} record(s) still queued on the old terminal`),
          );
          await old.stop();
          indexRestart = { sn: old.sn, last_index_before: lastIndex.get(old.sn) ?? 0, last_index_after: 0 };
          const fresh = makeTerminal(s.demo.devices[0]);
          terminals[0] = fresh;
          await fresh.start();
          await fresh.waitOnline(60_000);
          paused.delete(old.sn);
          break;
        }
        case 'poison': {
          // A record the terminal's firmware wrote with a NUL byte in it: the terminal re-sends
          // it, with whatever is queued behind it, until the site accepts the batch.
          const t = terminals[poisonIndex];
          const card = `${nextCard()}\u0000`;
          poison = { sn: t.sn, index: 0 };
          poison.index = t.injectRawRecord((index) =>
            formatRtlog({
              time: formatPushDateTime(t.now()),
              pin: '0',
              cardno: card,
              eventaddr: 1,
              event: 27,
              inoutstatus: 0,
              verifytype: 4,
              index,
            }),
          );
          break;
        }
      }
      await sleep(args.steadyS * 1000);
    }

    // ---- settle: no new swipes or unlocks; wait until everything in flight has landed
    setPhase('settle');
    raising = false;
    unlocking = false;
    await Promise.race([Promise.all(unlockCalls), sleep(90_000)]);
    const settleStart = Date.now();
    let signature = '';
    let changedAt = Date.now();
    while (Date.now() - settleStart < 120_000) {
      const stored = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM access_event')).rows[0].n;
      const queued = terminals.reduce((n, t) => n + t.queuedCount, 0);
      const sig = `${stored}/${ledger.deliveryCount}/${queued}/${ledger.unresolvedDeliveries().length}`;
      if (sig !== signature) {
        signature = sig;
        changedAt = Date.now();
      }
      const quiet = Date.now() - changedAt;
      if ((queued === 0 && quiet >= 3_000) || quiet >= 10_000) break;
      await sleep(250);
    }
    stopLoops = true;
    await Promise.all(loops);

    const stored = (
      await db.query<{ id: string; device_sn: string; card_no: string | null; raw: string | null }>(
        'SELECT id::text AS id, device_sn, card_no, raw FROM access_event',
      )
    ).rows.map((r) => ({ id: r.id, deviceSn: r.device_sn, cardNo: r.card_no, raw: r.raw }));
    // access-core's own view, by terminal, to check the ledger against by hand.
    const siteRows = (
      await db.query<{ sn: string; rows: number; max_index: string | null }>(
        `SELECT device_sn AS sn, count(*)::int AS rows, max(device_index)::text AS max_index
           FROM access_event WHERE source = 'rtlog' GROUP BY device_sn ORDER BY device_sn`,
      )
    ).rows;
    const commandKeys = new Map<string, string>();
    const keyPattern = new RegExp(`(faults-${runId}-\\d+)$`);
    for (const r of (
      await db.query<{ cmd_id: string; idempotency_key: string }>(
        'SELECT cmd_id::text AS cmd_id, idempotency_key FROM device_command WHERE idempotency_key IS NOT NULL',
      )
    ).rows) {
      const m = keyPattern.exec(r.idempotency_key);
      if (m) commandKeys.set(r.cmd_id, m[1]);
    }
    const report = ledger.report(stored, commandKeys, outages, {
      recoveryLimitMs: args.recoveryLimitS * 1000,
      withUnlocks,
    });
    // For a swipe stored but never delivered: is its alarm in the stream log (the client missed
    // it) or not (it was never published)?
    const streamLog = await Promise.all(
      report.events.lost_samples.stored_not_delivered.map(async (x) => ({
        row_id: x.row_id,
        stream_event_ids: (
          await db.query<{ id: string }>(`SELECT id::text AS id FROM stream_event WHERE data->>'eventId' = $1`, [
            x.row_id,
          ])
        ).rows.map((r) => r.id),
      })),
    );
    const heldOnTerminals = terminals.map((t) => ({ sn: t.sn, queued: t.queuedCount }));
    if (indexRestart) indexRestart.last_index_after = lastIndex.get(indexRestart.sn) ?? 0;
    const crashesInMatrix = crashes.length;

    // ---- the PUSH fuzz, against the same access-core
    let fuzz: FuzzResult | undefined;
    if (args.fuzzCases > 0) {
      setPhase('fuzz');
      const t = terminals[1];
      const r = await runPushFuzz({
        baseUrl: s.accessCoreUrl,
        sn: t.sn,
        cases: args.fuzzCases,
        concurrency: args.fuzzConcurrency,
        seed: args.seed,
        oversizeBytes: PUSH_MAX_BODY_BYTES + 1,
        onProgress: (n) => {
          if (n % 10_000 === 0) process.stdout.write(`  ${n} cases\n`);
        },
      });
      const crashedInFuzz = crashes.slice(crashesInMatrix).some((c) => c.part === 'access-core');
      const ready = await httpGetJson(`${s.accessCoreUrl}/readyz`, 5_000).catch(() => ({ status: 0 }));
      const card = nextCard();
      issued.add(card);
      let served = false;
      try {
        await t.swipeCard(card, 1);
        await waitFor(
          'a swipe stored after the fuzz',
          async () =>
            (await db.query('SELECT 1 FROM access_event WHERE device_sn = $1 AND card_no = $2', [t.sn, card]))
              .rowCount === 1,
          30_000,
        );
        served = t.online;
      } catch {
        served = false;
      }
      fuzz = {
        cases: r.cases,
        responses_5xx: r.serverErrors,
        no_answer: r.noAnswer,
        seconds: r.seconds,
        cases_per_s: Math.round(r.cases / r.seconds),
        statuses: r.statuses,
        process_lost: crashedInFuzz || !s.alive('access-core') || ready.status !== 200,
        terminal_served: served,
        failures: r.failures.slice(0, 3),
      };
    }

    // ---- output
    const targets = targetsOf(report, fuzz, crashes.length, withUnlocks);
    const met = targets.every((t) => t.met) && runErrors.length === 0;
    const e = report.events;
    const lines = [
      '',
      `fault matrix: 4 terminals raising ${args.rate} refused swipes/s, ${args.unlockRate} unlocks/s through the cloud, one administrator on the live stream through the cloud`,
      '',
      ...table(
        ['outage', 'recovery s', 'part ready s', 'API s', 'live event s', 'unlock s'],
        report.outages.map((o) => [
          o.part,
          o.recovered ? o.recovery_s : `> ${o.recovery_s}`,
          o.ready_s,
          o.api_s,
          o.event_s,
          o.unlock_s,
        ]),
      ),
      '',
      ...table(
        ['phase', 'swipes raised', 'stored', 'delivered', 'lost', 'PUSH 5xx', 'unlock keys', 'executions'],
        report.phases
          .filter((p) => p.raised + p.push_5xx + p.unlock_keys > 0)
          .map((p) => [p.phase, p.raised, p.stored, p.delivered, p.lost, p.push_5xx, p.unlock_keys, p.executions]),
      ),
      '',
      ...table(
        ['terminal', 'swipes raised', 'stored', 'delivered', 'lost', 'records queued at the end'],
        report.terminals.map((t) => [
          t.sn,
          t.raised,
          t.stored,
          t.delivered,
          t.lost,
          heldOnTerminals.find((h) => h.sn === t.sn)?.queued ?? 0,
        ]),
      ),
      '',
      `events: raised ${e.raised}, stored ${e.stored}, delivered ${e.delivered}, duplicates ${e.duplicates}, lost ${e.lost}` +
        ` (answered OK but not stored ${e.lost_detail.acknowledged_not_stored}, still held by a terminal ${e.lost_detail.held_by_terminal},` +
        ` stored but not delivered ${e.lost_detail.stored_not_delivered}); stored twice ${e.stored_twice}`,
      `terminals' own events (remote openings): raised ${report.other_events.raised}, stored ${report.other_events.stored}, lost ${report.other_events.lost}`,
      `unlocks: keys ${report.unlocks.keys}, executions ${report.unlocks.executions} (keys executed once ${report.unlocks.keys_executed_once},` +
        ` never ${report.unlocks.keys_not_executed}, more than once ${report.unlocks.keys_executed_more_than_once});` +
        ` answers ${JSON.stringify(report.unlocks.answers)}`,
      `PUSH answers 5xx: ${report.push_5xx}; records still queued on terminals at the end: ${heldOnTerminals.map((h) => `${h.sn} ${h.queued}`).join(', ')}`,
      `processes that died unasked: ${crashes.length ? crashes.map((c) => `${c.part} in ${c.phase}`).join(', ') : 'none'}`,
    ];
    if (fuzz)
      lines.push(
        `PUSH fuzz: ${fuzz.cases} cases in ${fuzz.seconds} s (${fuzz.cases_per_s}/s, ${args.fuzzConcurrency} at a time): 5xx ${fuzz.responses_5xx}, no answer ${fuzz.no_answer}, ` +
          `access-core ${fuzz.process_lost ? 'LOST' : 'alive'}, terminal ${fuzz.terminal_served ? 'still served' : 'NOT served'}; statuses ${JSON.stringify(fuzz.statuses)}`,
      );
    if (runErrors.length) lines.push(`run errors: ${runErrors.slice(0, 5).join('; ')}`);
    lines.push(
      '',
      ...table(
        ['target', 'measured', 'met'],
        targets.map((t) => [t.name, t.value, t.met ? 'yes' : 'NO']),
      ),
    );
    lines.push('', met ? 'every target met' : 'targets missed');
    process.stdout.write(`${lines.join('\n')}\n`);
    if (args.json) {
      const out = {
        events: report.events,
        unlocks: report.unlocks,
        outages: report.outages,
        push_5xx: report.push_5xx,
        other_events: report.other_events,
        phases: report.phases,
        terminals: report.terminals,
        held_on_terminals: heldOnTerminals,
        site_rows: siteRows,
        stored_not_delivered_in_stream_log: streamLog,
        index_restart: indexRestart,
        poison,
        processes_died: crashes,
        fuzz,
        targets,
        met,
        run_errors: runErrors,
        config: {
          faults: args.faults,
          swipes_per_s: args.rate,
          unlocks_per_s: args.unlockRate,
          down_s: args.downS,
          outage_s: args.outageS,
          steady_s: args.steadyS,
          recovery_target_s: RECOVERY_TARGET_S,
          recovery_limit_s: args.recoveryLimitS,
          fuzz_seed: args.seed,
          push_request_delay_s: 1,
          push_error_delay_s: 1,
          connector_backoff_ms: [200, 1000],
          app_reconnect_ms: [250, 1000],
        },
      };
      fs.writeFileSync(args.json, `${JSON.stringify(out, null, 2)}\n`);
      process.stdout.write(`\nwrote ${args.json}\n`);
    }
    return met ? 0 : 1;
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench:faults failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);
