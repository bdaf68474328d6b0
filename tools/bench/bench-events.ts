/**
 * `npm run bench:events [-- --quick] [-- --json FILE] [-- --seconds N] [-- --warmup N] [-- --rates 100,1000] [-- --database-url URL]`
 *
 * Events raised by simulated terminals (real PUSH over HTTP to access-core) to live delivery on
 * subscribed clients, measured side by side in the same run: one administrator's WebSocket
 * stream directly on access-core ("direct") and one through broker + tunnel + connector
 * ("tunnel"), both subscribed at once and fed by the very same events. Each event is a card
 * the terminals do not know (event 27, an exception the Alarm Center lists) raised at a steady rate, spread over four terminals; latency is from the moment the
 * terminal raised it to the moment the client received the alarm (terminals keep order, so the
 * k-th alarm of a terminal is its k-th event). Reports p50/p99 and delivered/sent per rate.
 * Each rate first runs `--warmup` seconds (default 1) unmeasured, then `--seconds` measured.
 */
import fs from 'node:fs';
import WebSocket from 'ws';
import { SimulatedTerminal } from '@lanbridge/terminal-simulator';
import { startSiteStack, TEST_DATABASE_URL, type SiteStack } from '@lanbridge/testing';

interface Args {
  quick: boolean;
  json?: string;
  seconds: number;
  warmup: number;
  rates: number[];
  databaseUrl: string;
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { quick: false, seconds: 5, warmup: 1, rates: [100, 1000], databaseUrl: TEST_DATABASE_URL };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--quick') a.quick = true;
    else if (k === '--json') a.json = argv[++i];
    else if (k === '--seconds') a.seconds = Number(argv[++i]);
    else if (k === '--warmup') a.warmup = Number(argv[++i]);
    else if (k === '--rates') a.rates = String(argv[++i]).split(',').map(Number);
    else if (k === '--database-url') a.databaseUrl = String(argv[++i]);
    else throw new Error(`unknown argument ${k}`);
  }
  if (a.quick && !argv.includes('--seconds')) a.seconds = 2;
  if (!(a.seconds > 0) || !(a.warmup >= 0) || a.rates.some((r) => !(r > 0)))
    throw new Error('--seconds and --rates must be positive, --warmup not negative');
  return a;
}

interface PathResult {
  p50_ms: number;
  p99_ms: number;
  delivered: number;
  sent: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[i] * 100) / 100;
}

/** One subscribed client: matches each alarm to the k-th event raised by its terminal. */
class Subscriber {
  private readonly received = new Map<string, number>();
  /** Per terminal, the index of the first event of the current measuring window. */
  private windowStart = new Map<string, number>();
  latencies: number[] = [];
  private ws: WebSocket | undefined;

  constructor(
    readonly name: string,
    private readonly url: string,
    private readonly token: string,
    private readonly snOfDevice: ReadonlyMap<string, string>,
    private readonly sentAt: ReadonlyMap<string, number[]>,
  ) {}

  async open(): Promise<void> {
    const ws = new WebSocket(this.url, ['lanbridge.stream.v1', `bearer.${this.token}`], { perMessageDeflate: false });
    this.ws = ws;
    await new Promise<void>((resolve, reject) => {
      ws.once('error', reject);
      ws.on('message', (raw: Buffer) => {
        const now = performance.now();
        const msg = JSON.parse(raw.toString('utf8')) as { type: string; data?: { deviceId?: string } };
        // Live messages start with the client's first message other than a ping (access-core
        // otherwise holds them for 2 s, for a resume to come first): resume, as an app does.
        if (msg.type === 'ready') ws.send(JSON.stringify({ type: 'resume' }));
        if (msg.type === 'resumed') resolve();
        if (msg.type !== 'alarm' || !msg.data?.deviceId) return;
        const sn = this.snOfDevice.get(msg.data.deviceId);
        if (!sn) return;
        const k = this.received.get(sn) ?? 0;
        this.received.set(sn, k + 1);
        const sent = this.sentAt.get(sn)?.[k];
        if (sent !== undefined && k >= (this.windowStart.get(sn) ?? 0)) this.latencies.push(now - sent);
      });
      ws.once('unexpected-response', (_req, res) => reject(new Error(`${this.name}: HTTP ${res.statusCode}`)));
    });
  }

  /** Starts a new window: only events raised from now on count. */
  reset(): void {
    this.windowStart = new Map([...this.sentAt].map(([sn, times]) => [sn, times.length]));
    this.latencies = [];
  }

  result(sent: number): PathResult {
    const sorted = [...this.latencies].sort((x, y) => x - y);
    return { p50_ms: percentile(sorted, 50), p99_ms: percentile(sorted, 99), delivered: sorted.length, sent };
  }

  close(): void {
    this.ws?.close();
  }
}

async function json<T>(url: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(url, init);
  const body = (await res.json()) as T;
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url}: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** No demo person holds this card: every swipe is refused (27) and raises an alarm of level exception. */
const UNKNOWN_CARD = '99999999';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  process.stdout.write('starting access-core, cloud broker, edge connector and 4 simulated terminals...\n');
  let stack: SiteStack | undefined;
  const terminals: SimulatedTerminal[] = [];
  const subs: Subscriber[] = [];
  try {
    stack = await startSiteStack({
      prefix: 'bench_events',
      databaseUrl: args.databaseUrl,
      accessCoreEnv: { LOG_LEVEL: 'error', PUSH_REQUEST_DELAY_SEC: '5' },
      brokerEnv: { LOG_LEVEL: 'error' },
      connectorEnv: { LOG_LEVEL: 'error' },
    });
    for (const d of stack.demo.devices) {
      const t = new SimulatedTerminal({
        serverUrl: stack.accessCoreUrl,
        sn: d.sn,
        doorCount: d.doors,
        requestDelayMs: 1000,
      });
      t.on('error', () => undefined);
      terminals.push(t);
      await t.start();
    }
    await Promise.all(terminals.map((t) => t.waitOnline(30000)));

    const login = await json<{ accessToken: string }>(`${stack.accessCoreUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'admin', username: 'admin', password: stack.adminPassword }),
    });
    const auth = { authorization: `Bearer ${login.accessToken}` };
    const devices = await json<{ items: { id: string; sn: string }[] }>(
      `${stack.accessCoreUrl}/api/v1/devices?pageSize=100`,
      { headers: auth },
    );
    const snOfDevice = new Map(devices.items.map((d) => [d.id, d.sn]));
    const sentAt = new Map<string, number[]>(terminals.map((t) => [t.sn, []]));

    // The broker learns the site key when the tunnel comes up; wait until it lets the token in.
    const api = stack.apiUrl;
    await (async () => {
      for (let i = 0; i < 100; i++) {
        const r = await fetch(`${api}/api/v1/me`, { headers: auth });
        if (r.status === 200) return;
        await sleep(200);
      }
      throw new Error('the broker never accepted the site token');
    })();
    const wsUrl = (base: string): string => `${base.replace(/^http/, 'ws')}/api/v1/stream`;
    subs.push(new Subscriber('direct', wsUrl(stack.accessCoreUrl), login.accessToken, snOfDevice, sentAt));
    subs.push(new Subscriber('tunnel', wsUrl(api), login.accessToken, snOfDevice, sentAt));
    await Promise.all(subs.map((s) => s.open()));

    const results: { events_per_s: number; tunnel: PathResult; direct: PathResult }[] = [];
    let turn = 0;
    /** Raises `rate` events per second for `seconds`, spread over the terminals in turn. */
    const raise = async (rate: number, seconds: number): Promise<number> => {
      const total = Math.round(rate * seconds);
      const tickMs = 10;
      const perTick = rate / (1000 / tickMs);
      let raised = 0;
      const start = performance.now();
      let next = start;
      while (raised < total) {
        const due = Math.min(total, Math.floor(((performance.now() - start) / tickMs + 1) * perTick));
        while (raised < due) {
          const t = terminals[turn++ % terminals.length];
          sentAt.get(t.sn)?.push(performance.now());
          void t.swipeCard(UNKNOWN_CARD, 1);
          raised++;
        }
        next += tickMs;
        await sleep(Math.max(0, next - performance.now()));
      }
      return total;
    };
    for (const rate of args.rates) {
      // Warm-up at the same rate, not measured: the step to a new rate grows connection pools,
      // batch sizes and the JIT's work; the figures are for the steady state after it.
      for (const s of subs) s.reset();
      const warm = await raise(rate, args.warmup);
      await waitDelivered(subs, warm, 15000);
      for (const s of subs) s.reset();
      const total = await raise(rate, args.seconds);
      await waitDelivered(subs, total, 15000);
      const [direct, tunnel] = subs.map((s) => s.result(total));
      results.push({ events_per_s: rate, tunnel, direct });
      await sleep(500);
    }

    const lines = [
      '',
      `events raised by 4 simulated terminals → live alarm on a subscribed client (${args.seconds} s per rate, after ${args.warmup} s of warm-up at that rate)`,
      '',
      '| events/s | path   | p50 ms | p99 ms | delivered / sent |',
      '|---|---|---|---|---|',
    ];
    for (const r of results) {
      for (const [name, p] of [
        ['direct', r.direct],
        ['tunnel', r.tunnel],
      ] as const) {
        lines.push(`| ${r.events_per_s} | ${name} | ${p.p50_ms} | ${p.p99_ms} | ${p.delivered} / ${p.sent} |`);
      }
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    if (args.json) {
      fs.writeFileSync(args.json, `${JSON.stringify({ rates: results }, null, 2)}\n`);
      process.stdout.write(`\nwrote ${args.json}\n`);
    }
  } finally {
    for (const s of subs) s.close();
    await Promise.all(terminals.map((t) => t.stop().catch(() => undefined)));
    await stack?.stop();
  }
}

async function waitDelivered(subs: readonly Subscriber[], n: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && subs.some((s) => s.latencies.length < n)) await sleep(50);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:events failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
