/**
 * Helpers shared by the stack starter, the benchmark and the end-to-end suites: run one app's CLI from dist/,
 * spawn an app as a child process with readable prefixed logs, wait for HTTP readiness.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';

// dist/libs/testing/src or libs/testing/src: the repository root is three levels up either way.
export const ROOT = path.resolve(__dirname, '..', '..', '..').replace(/[\\/]dist$/, '');
export const DIST = path.join(ROOT, 'dist');

export const APP_MAIN = {
  broker: path.join(DIST, 'apps/cloud-broker/src/main.js'),
  brokerCli: path.join(DIST, 'apps/cloud-broker/src/cli.js'),
  connector: path.join(DIST, 'apps/edge-connector/src/main.js'),
  accessCore: path.join(DIST, 'apps/access-core/src/main.js'),
  accessCoreCli: path.join(DIST, 'apps/access-core/src/cli.js'),
  terminalSimulator: path.join(DIST, 'libs/terminal-simulator/src/cli.js'),
} as const;

export type Env = Record<string, string | undefined>;

/** Runs a CLI to completion and returns what it printed on stdout. */
export function runCli(script: string, args: readonly string[], env: Env): string {
  const r = spawnSync(process.execPath, [script, ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    cwd: ROOT,
  });
  if (r.status !== 0) {
    throw new Error(`${path.basename(script)} ${args.join(' ')} failed (exit ${r.status}):\n${r.stderr}${r.stdout}`);
  }
  return r.stdout;
}

/** Runs a CLI to completion and parses the JSON it prints on stdout. */
export function runJsonCli<T>(script: string, args: readonly string[], env: Env): T {
  const text = runCli(script, args, env).trim();
  const start = text.indexOf('{');
  if (start < 0) throw new Error(`${path.basename(script)} printed no JSON:\n${text}`);
  return JSON.parse(text.slice(start)) as T;
}

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** Turns a pino JSON line into "12:00:01 info  message key=value"; other lines pass through. */
export function formatLogLine(line: string): string {
  if (!line.startsWith('{')) return line;
  try {
    const o = JSON.parse(line) as Record<string, unknown>;
    const { time, level, msg, pid: _pid, hostname: _h, name: _n, ...rest } = o;
    const t = typeof time === 'string' ? time.slice(11, 19) : '';
    const lv = (typeof level === 'number' ? (LEVELS[level] ?? String(level)) : JSON.stringify(level)).padEnd(5);
    const extras = Object.entries(rest)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    return `${t} ${lv} ${typeof msg === 'string' ? msg : JSON.stringify(msg ?? '')}${extras ? `  ${extras}` : ''}`;
  } catch {
    return line;
  }
}

export interface SpawnedApp {
  readonly name: string;
  readonly child: ChildProcess;
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<void>;
}

export function spawnApp(
  name: string,
  script: string,
  args: readonly string[],
  env: Env,
  opts: { quiet?: boolean; onExit?: (code: number | null) => void } = {},
): SpawnedApp {
  const child = spawn(process.execPath, [script, ...args], {
    env: { ...process.env, ...env },
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = `[${name}]`.padEnd(16);
  for (const s of [child.stdout, child.stderr]) {
    let pending = '';
    s.setEncoding('utf8');
    s.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      if (opts.quiet) return;
      for (const l of lines) if (l.trim()) process.stdout.write(`${prefix} ${formatLogLine(l)}\n`);
    });
  }
  let exited = false;
  const exitPromise = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      exited = true;
      opts.onExit?.(code);
      resolve();
    }),
  );
  return {
    name,
    child,
    async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 20000): Promise<void> {
      if (exited) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exitPromise;
      clearTimeout(timer);
    },
  };
}

export function httpGetJson(url: string, timeoutMs = 2000): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (data += c));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: data ? (JSON.parse(data) as unknown) : undefined });
        } catch {
          resolve({ status: res.statusCode ?? 0, body: data });
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`timeout GET ${url}`)));
    req.on('error', reject);
  });
}

/** Polls until `check` returns true or the deadline passes. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      lastErr = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `timed out waiting for ${what}${lastErr ? `: ${lastErr instanceof Error ? lastErr.message : JSON.stringify(lastErr)}` : ''}`,
  );
}
