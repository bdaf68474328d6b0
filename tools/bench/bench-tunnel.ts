/**
 * `npm run bench:tunnel [-- --quick] [-- --json FILE] [-- --rounds N] [-- --idle N] [-- --serve] [-- --database-url URL]`
 * (`--serve` only starts the three processes and prints their URLs and pids, for profiling)
 *
 * Starts an origin, a cloud broker and an edge connector on 127.0.0.1 (separate processes,
 * embedded PGlite, no external service) and measures side by side, round after round:
 *  - 1 KiB GET at 1 and 64 concurrent keep-alive connections (wrk, 1 thread): req/s, p50, p99,
 *    direct to the origin and through broker + tunnel + connector;
 *  - one 100 MiB download (curl), direct and through the tunnel (MB/s, 1 MB = 10^6 bytes, and
 *    the CPU each process spent on it);
 *  - RSS growth of a fresh broker with 1,000 idle connected connectors (KiB per connector), each
 *    reading taken after a full GC of the broker (gc-hook.ts), so it is live memory, not garbage.
 * Ratios are medians of per-round ratios: the machine is shared, compare ratios, not absolutes.
 */
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { APP_MAIN, DIST, httpGetJson, runJsonCli, spawnApp, waitFor, type SpawnedApp } from '@lanbridge/testing';
import { Client } from 'pg';

async function createSchema(url: string): Promise<{ name: string; drop(): Promise<void> }> {
  const name = `bench_${crypto.randomBytes(5).toString('hex')}`;
  const run = async (sql: string): Promise<void> => {
    const c = new Client({ connectionString: url });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await run(`create schema "${name}"`);
  return { name, drop: () => run(`drop schema if exists "${name}" cascade`) };
}

interface Args {
  quick: boolean;
  serve: boolean;
  json?: string;
  rounds: number;
  idle: number;
  /** A PostgreSQL server for the broker (a fresh schema is made and dropped); default: embedded PGlite. */
  databaseUrl?: string;
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { quick: false, serve: false, rounds: 3, idle: 1000 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--quick') a.quick = true;
    else if (k === '--serve') a.serve = true;
    else if (k === '--json') a.json = argv[++i];
    else if (k === '--rounds') a.rounds = Number(argv[++i]);
    else if (k === '--idle') a.idle = Number(argv[++i]);
    else if (k === '--database-url') a.databaseUrl = argv[++i];
    else throw new Error(`unknown argument ${k}`);
  }
  if (a.quick && !argv.includes('--rounds')) a.rounds = 1;
  return a;
}

interface WrkResult {
  requests: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
}

function toMs(v: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60000;
}

function wrk(url: string, connections: number, seconds: number): WrkResult {
  const r = spawnSync('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', url], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr || r.stdout}`);
  const out = r.stdout;
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p50 = /\s50%\s+(\S+)/.exec(out)?.[1] ?? '';
  const p99 = /\s99%\s+(\S+)/.exec(out)?.[1] ?? '';
  const errors = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1];
  const sockErr = /Socket errors:.*/.exec(out)?.[0];
  if (errors) throw new Error(`wrk saw ${errors} non-2xx responses on ${url}`);
  if (sockErr && /(read|write|timeout) [1-9]/.test(sockErr)) process.stderr.write(`  note: ${sockErr} (${url})\n`);
  return { requests, rps, p50_ms: toMs(p50), p99_ms: toMs(p99) };
}

/**
 * One 100 MiB download with curl, MB/s. An external client, as wrk is for the small requests:
 * a Node client reading 100 MiB spent more CPU than the origin, and capped the direct figure
 * (about 330 MB/s here, where curl reads the same origin at 1–2 GB/s).
 */
function download(url: string): number {
  const r = spawnSync('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code} %{size_download} %{time_total}', url], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`curl failed on ${url}: ${r.stderr || r.stdout}`);
  const [status, size, seconds] = r.stdout.trim().split(' ').map(Number);
  if (status !== 200) throw new Error(`GET ${url}: ${status}`);
  if (size !== 100 * 1024 * 1024) throw new Error(`short download from ${url}: ${size} bytes`);
  return size / 1e6 / seconds;
}

function rssKiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** CPU time (user + system) a process has used so far, in µs. */
function cpuUs(pid: number): number {
  // Fields 14 and 15 of /proc/<pid>/stat, counted after the command name (which may hold spaces).
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1e6) / CLOCK_TICKS;
}
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** Runs `run`, and the CPU time each of `pids` spent meanwhile, in µs. */
function withCpu<T>(pids: Record<string, number>, run: () => T): { result: T; cpu: Record<string, number> } {
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuUs(pid)]));
  const result = run();
  return { result, cpu: Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuUs(pid) - before[k]])) };
}

const scaled = (cpu: Record<string, number>, by: number): Record<string, number> =>
  Object.fromEntries(Object.entries(cpu).map(([k, us]) => [k, us / by]));

/** A wrk run, with the CPU each of `pids` spent on it, in µs per request. */
function wrkWithCpu(
  url: string,
  connections: number,
  seconds: number,
  pids: Record<string, number>,
): WrkResult & { cpuUsPerRequest: Record<string, number> } {
  const { result, cpu } = withCpu(pids, () => wrk(url, connections, seconds));
  return { ...result, cpuUsPerRequest: scaled(cpu, result.requests) };
}

/** A download, with the CPU each of `pids` spent on it, in ms. */
function downloadWithCpu(url: string, pids: Record<string, number>): { mbps: number; cpuMs: Record<string, number> } {
  const { result, cpu } = withCpu(pids, () => download(url));
  return { mbps: result, cpuMs: scaled(cpu, 1000) };
}

function startOrigin(): Promise<{ port: number; pid: number; stop(): void }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(DIST, 'tools/bench/origin-server.js')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout.once('data', (d: Buffer) => {
      const { port } = JSON.parse(d.toString()) as { port: number };
      resolve({ port, pid: child.pid ?? 0, stop: () => child.kill('SIGTERM') });
    });
    child.once('error', reject);
  });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  for (const tool of ['wrk', 'curl']) {
    if (spawnSync(tool, ['--version']).error) {
      throw new Error(`${tool} is needed for the benchmark: apt-get install -y wrk curl`);
    }
  }
  const seconds = args.quick ? 3 : 8;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lanbridge-bench-'));
  const brokerDataDir = path.join(tmp, 'broker');
  const apps: SpawnedApp[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  const origin = await startOrigin();
  try {
    process.stdout.write(`setting up (rounds=${args.rounds}, ${seconds}s per run, ${args.idle} idle connectors)...\n`);
    // Register the forwarding connector and the idle ones while the broker is not yet running
    // (PGlite allows one process per data directory).
    const mkKey = () => crypto.generateKeyPairSync('ed25519');
    const main = mkKey();
    const idleKeys = Array.from({ length: args.idle }, mkKey);
    const pem = (k: crypto.KeyObject) => k.export({ type: 'spki', format: 'pem' }).toString();
    // Embedded PGlite runs inside the broker process, so its WASM heap counts in the broker's RSS;
    // with --database-url the broker uses a PostgreSQL server, as a deployed broker does.
    const schema = args.databaseUrl ? await createSchema(args.databaseUrl) : undefined;
    cleanups.push(async () => schema?.drop());
    const brokerEnv = {
      BROKER_DATA_DIR: brokerDataDir,
      DATABASE_URL: args.databaseUrl ?? '',
      DATABASE_SCHEMA: schema?.name ?? '',
      LOG_LEVEL: 'warn',
    };
    const listFile = path.join(tmp, 'register.json');
    fs.writeFileSync(
      listFile,
      JSON.stringify([
        { orgSlug: 'bench', publicKeyPem: pem(main.publicKey) },
        ...idleKeys.map((k, i) => ({ orgSlug: `idle-${i % 50}`, publicKeyPem: pem(k.publicKey) })),
      ]),
    );
    const registered = runJsonCli<{ connectors: { connectorId: string }[] }>(
      APP_MAIN.brokerCli,
      // The benchmark's origin is a generic HTTP server: a plain tunnel, no site sessions.
      ['register-connectors', '--file', listFile, '--ingress', 'open'],
      brokerEnv,
    ).connectors;
    const reg = registered[0];
    const idle = idleKeys.map((k, i) => ({
      connectorId: registered[i + 1].connectorId,
      privateKeyPem: k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    }));

    const brokerPort = 18000 + Math.floor(Math.random() * 1000);
    // Outside --serve: a full GC on SIGUSR2 before each idle-memory reading (gc-hook.ts).
    const gcHook = args.serve
      ? {}
      : {
          NODE_OPTIONS: [
            process.env.NODE_OPTIONS,
            '--expose-gc',
            `--require ${path.join(DIST, 'tools/bench/gc-hook.js')}`,
          ]
            .filter(Boolean)
            .join(' '),
        };
    const startBroker = async (port: number): Promise<SpawnedApp> => {
      const b = spawnApp('cloud-broker', APP_MAIN.broker, [], {
        BROKER_HOST: '127.0.0.1',
        BROKER_PORT: String(port),
        ...brokerEnv,
        ...gcHook,
      });
      apps.push(b);
      await waitFor(
        'broker',
        async () => (await httpGetJson(`http://127.0.0.1:${port}/healthz`)).status === 200,
        60000,
      );
      return b;
    };
    const broker = await startBroker(brokerPort);
    const brokerBase = `http://127.0.0.1:${brokerPort}`;

    const keyFile = path.join(tmp, 'connector.key');
    fs.writeFileSync(keyFile, main.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    apps.push(
      spawnApp('edge-connector', APP_MAIN.connector, ['run'], {
        BROKER_URL: `ws://127.0.0.1:${brokerPort}/tunnel/v1/connect`,
        CONNECTOR_ID: reg.connectorId,
        CONNECTOR_KEY_FILE: keyFile,
        LOCAL_APP_URL: `http://127.0.0.1:${origin.port}`,
        STATUS_PORT: '0',
        LOG_LEVEL: 'warn',
      }),
    );
    const direct = `http://127.0.0.1:${origin.port}`;
    const tunnel = `${brokerBase}/t/bench`;
    await waitFor('tunnel', async () => (await httpGetJson(`${tunnel}/1k`)).status === 200, 60000);
    if (args.serve) {
      // Keep origin, broker and connector up for profiling by hand; Ctrl-C or SIGTERM ends (and
      // stops them: a plain kill of this process would otherwise leave them running).
      process.stdout.write(
        JSON.stringify({ direct, tunnel, brokerPid: broker.child.pid, connectorPid: apps[1].child.pid }) + '\n',
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      return;
    }
    // Warm both paths (JIT, keep-alive pools), the bulk path too: the first download through a
    // fresh broker and connector runs at half speed or less while V8 compiles it.
    wrk(`${direct}/1k`, 64, 1);
    wrk(`${tunnel}/1k`, 64, 1);
    download(`${direct}/big`);
    download(`${tunnel}/big`);

    const rounds: {
      c1: [WrkResult, WrkResult];
      c64: readonly [ReturnType<typeof wrkWithCpu>, ReturnType<typeof wrkWithCpu>];
      big: readonly [ReturnType<typeof downloadWithCpu>, ReturnType<typeof downloadWithCpu>];
    }[] = [];
    for (let r = 0; r < args.rounds; r++) {
      const c1: [WrkResult, WrkResult] = [wrk(`${direct}/1k`, 1, seconds), wrk(`${tunnel}/1k`, 1, seconds)];
      // CPU per request of each process, steadier on a shared machine than req/s.
      const c64 = [
        wrkWithCpu(`${direct}/1k`, 64, seconds, { origin: origin.pid }),
        wrkWithCpu(`${tunnel}/1k`, 64, seconds, {
          origin: origin.pid,
          broker: broker.child.pid ?? 0,
          connector: apps[1].child.pid ?? 0,
        }),
      ] as const;
      // CPU per download too: one 100 MiB download lasts a fraction of a second, so its MB/s
      // moves with whatever else the host runs at that moment; its CPU per process moves less.
      const big = [
        downloadWithCpu(`${direct}/big`, { origin: origin.pid }),
        downloadWithCpu(`${tunnel}/big`, {
          origin: origin.pid,
          broker: broker.child.pid ?? 0,
          connector: apps[1].child.pid ?? 0,
        }),
      ] as const;
      rounds.push({ c1, c64, big });
      process.stdout.write(
        `round ${r + 1}: c1 ${c1[0].rps.toFixed(0)} vs ${c1[1].rps.toFixed(0)} req/s; c64 ${c64[0].rps.toFixed(0)} vs ${c64[1].rps.toFixed(0)} req/s; 100 MiB ${big[0].mbps.toFixed(0)} vs ${big[1].mbps.toFixed(0)} MB/s\n`,
      );
    }

    // Idle connectors, on a fresh broker (what the load rounds left in its heap is not theirs):
    // its RSS before and after they are all online, each reading after a full GC.
    for (const a of apps.splice(0).reverse()) await a.stop('SIGTERM', 5000);
    const idlePort = brokerPort + 1000;
    const idleBroker = await startBroker(idlePort);
    const brokerPid = idleBroker.child.pid ?? 0;
    const settledRss = async (): Promise<number> => {
      process.kill(brokerPid, 'SIGUSR2');
      await sleep(1500);
      return rssKiB(brokerPid);
    };
    const rssBefore = await settledRss();
    const keysFile = path.join(tmp, 'idle-keys.json');
    fs.writeFileSync(keysFile, JSON.stringify(idle), { mode: 0o600 });
    let idleOnline = 0;
    let idleProc: SpawnedApp | undefined;
    if (args.idle > 0) {
      idleProc = spawnApp(
        'idle',
        path.join(DIST, 'tools/bench/idle-connectors.js'),
        [`ws://127.0.0.1:${idlePort}/tunnel/v1/connect`, keysFile],
        { LOG_LEVEL: 'warn' },
        { quiet: true },
      );
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('idle connectors did not come online in time')), 150000);
        idleProc!.child.stdout!.on('data', (d: Buffer) => {
          const m = /"online":(\d+)/.exec(d.toString());
          if (m) {
            idleOnline = Number(m[1]);
            clearTimeout(t);
            resolve();
          }
        });
        idleProc!.child.once('exit', (code) => reject(new Error(`idle connectors exited (${code})`)));
      });
      await sleep(3000);
    }
    const rssAfter = await settledRss();
    // The broker first: it closes the idle tunnels with GOAWAY, where connectors that vanish
    // first would each leave a warning in its log.
    await idleBroker.stop('SIGTERM', 5000);
    await idleProc?.stop();

    const pick = (f: (x: (typeof rounds)[number]) => number) => median(rounds.map(f));
    /** Median CPU per process: the origin alone on the direct path, all three through the tunnel. */
    const pickCpu = (f: (x: (typeof rounds)[number]) => readonly [Record<string, number>, Record<string, number>]) => ({
      direct: { origin: pick((x) => f(x)[0].origin) },
      tunnel: {
        origin: pick((x) => f(x)[1].origin),
        broker: pick((x) => f(x)[1].broker),
        connector: pick((x) => f(x)[1].connector),
      },
    });
    const result = {
      small_c1: {
        direct: {
          rps: pick((x) => x.c1[0].rps),
          p50_ms: pick((x) => x.c1[0].p50_ms),
          p99_ms: pick((x) => x.c1[0].p99_ms),
        },
        tunnel: {
          rps: pick((x) => x.c1[1].rps),
          p50_ms: pick((x) => x.c1[1].p50_ms),
          p99_ms: pick((x) => x.c1[1].p99_ms),
        },
        ratio: pick((x) => x.c1[1].rps / x.c1[0].rps),
        added_p50_ms: pick((x) => x.c1[1].p50_ms - x.c1[0].p50_ms),
      },
      small_c64: {
        direct: {
          rps: pick((x) => x.c64[0].rps),
          p50_ms: pick((x) => x.c64[0].p50_ms),
          p99_ms: pick((x) => x.c64[0].p99_ms),
        },
        tunnel: {
          rps: pick((x) => x.c64[1].rps),
          p50_ms: pick((x) => x.c64[1].p50_ms),
          p99_ms: pick((x) => x.c64[1].p99_ms),
        },
        ratio: pick((x) => x.c64[1].rps / x.c64[0].rps),
        cpu_us_per_request: pickCpu((x) => [x.c64[0].cpuUsPerRequest, x.c64[1].cpuUsPerRequest]),
      },
      big: {
        direct_mbps: pick((x) => x.big[0].mbps),
        tunnel_mbps: pick((x) => x.big[1].mbps),
        ratio: pick((x) => x.big[1].mbps / x.big[0].mbps),
        cpu_ms_per_download: pickCpu((x) => [x.big[0].cpuMs, x.big[1].cpuMs]),
      },
      idle: {
        connectors: idleOnline,
        broker_rss_kib_before: rssBefore,
        broker_rss_kib_after: rssAfter,
        broker_rss_kib_per_connector: idleOnline ? (rssAfter - rssBefore) / idleOnline : 0,
      },
      database: args.databaseUrl ? 'postgresql server' : 'embedded pglite (in the broker process)',
      rounds: args.rounds,
      seconds_per_run: seconds,
      machine: { cpus: os.cpus().length, node: process.version },
    };

    const f = (n: number, d = 0) => n.toFixed(d);
    const cpuRow = (label: string, cpu: ReturnType<typeof pickCpu>): string[] => [
      label,
      `origin ${f(cpu.direct.origin)}`,
      (['origin', 'broker', 'connector'] as const).map((k) => `${k} ${f(cpu.tunnel[k])}`).join(', '),
      '',
      '',
    ];
    const rows = [
      ['measure', 'direct', 'tunnel', 'tunnel/direct', 'target'],
      [
        '1 KiB c=1 req/s',
        f(result.small_c1.direct.rps),
        f(result.small_c1.tunnel.rps),
        f(result.small_c1.ratio, 2),
        '',
      ],
      [
        '1 KiB c=1 p50 ms',
        f(result.small_c1.direct.p50_ms, 3),
        f(result.small_c1.tunnel.p50_ms, 3),
        `+${f(result.small_c1.added_p50_ms, 3)} ms`,
        '<= +0.15 ms',
      ],
      ['1 KiB c=1 p99 ms', f(result.small_c1.direct.p99_ms, 3), f(result.small_c1.tunnel.p99_ms, 3), '', ''],
      [
        '1 KiB c=64 req/s',
        f(result.small_c64.direct.rps),
        f(result.small_c64.tunnel.rps),
        f(result.small_c64.ratio, 2),
        '>= 0.50',
      ],
      ['1 KiB c=64 p50 ms', f(result.small_c64.direct.p50_ms, 2), f(result.small_c64.tunnel.p50_ms, 2), '', ''],
      ['1 KiB c=64 p99 ms', f(result.small_c64.direct.p99_ms, 2), f(result.small_c64.tunnel.p99_ms, 2), '', ''],
      cpuRow('1 KiB c=64 CPU µs/req', result.small_c64.cpu_us_per_request),
      ['100 MiB MB/s', f(result.big.direct_mbps), f(result.big.tunnel_mbps), f(result.big.ratio, 2), '>= 700 MB/s'],
      cpuRow('100 MiB CPU ms', result.big.cpu_ms_per_download),
      [
        `idle broker KiB/connector (${idleOnline})`,
        '',
        f(result.idle.broker_rss_kib_per_connector, 1),
        '',
        '<= 30 KiB',
      ],
    ];
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    const line = (r: string[]) => '| ' + r.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
    process.stdout.write(
      '\n' +
        [line(rows[0]), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.slice(1).map(line)].join(
          '\n',
        ) +
        '\n',
    );
    if (args.json) {
      fs.mkdirSync(path.dirname(path.resolve(args.json)), { recursive: true });
      fs.writeFileSync(args.json, JSON.stringify(result, null, 2) + '\n');
      process.stdout.write(`\nwrote ${args.json}\n`);
    }
  } finally {
    for (const a of [...apps].reverse()) await a.stop('SIGTERM', 5000);
    origin.stop();
    for (const c of cleanups) await c();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-tunnel: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
