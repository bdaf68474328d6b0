/**
 * Test harness for the mobile API suites: access-core in-process on a PostgreSQL schema of its
 * own, a movable clock, an SMTP sink, simulated terminals, an HTTP client and a stream client.
 */
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import WebSocket from 'ws';
import { createLogger, type Logger } from '@lanbridge/logging';
import { SimulatedTerminal } from '@lanbridge/terminal-simulator';
import { createTestSchema, TEST_DATABASE_URL, waitFor } from '@lanbridge/testing';
import { startAccessCore, type RunningAccessCore } from '../../src/bootstrap';
import { Clock } from '../../src/system/clock';

export { waitFor };

/** Wall time plus an offset the test moves. */
export class TestClock extends Clock {
  offsetMs = 0;

  override now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
}

export const ADMIN_PASSWORD = 'correct horse battery staple';

export interface Site {
  readonly app: RunningAccessCore;
  readonly url: string;
  readonly clock: TestClock;
  readonly schema: string;
  readonly pg: Client;
  readonly logLines: Record<string, unknown>[];
  readonly terminals: SimulatedTerminal[];
  stop(): Promise<void>;
}

function captureLogger(lines: Record<string, unknown>[]): Logger {
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) {
        if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      }
      cb();
    },
  });
  return createLogger('access-core', { level: 'info' }, stream);
}

export async function startSite(prefix: string, extraEnv: Record<string, string> = {}): Promise<Site> {
  const schema = await createTestSchema(prefix);
  const clock = new TestClock();
  const logLines: Record<string, unknown>[] = [];
  const app = await startAccessCore(
    {
      NODE_ENV: 'test',
      ACCESS_CORE_HOST: '127.0.0.1',
      ACCESS_CORE_PORT: '0',
      DATABASE_URL: TEST_DATABASE_URL,
      DATABASE_SCHEMA: schema.name,
      SITE_NAME: 'Mobile test site',
      ACCESS_CORE_ADMIN_PASSWORD: ADMIN_PASSWORD,
      PUSH_REQUEST_DELAY_SEC: '1',
      DEVICE_OFFLINE_AFTER_MS: '2500',
      AUTH_LOGIN_MAX_PER_IP: '1000',
      AUTH_LOGIN_MAX_PER_ACCOUNT: '3',
      MOBILE_COMMAND_WAIT_MS: '5000',
      // The suites start terminals of their own (approval has a suite of its own).
      PUSH_AUTO_ENROLL: 'true',
      ...extraEnv,
    },
    { logger: captureLogger(logLines), clock },
  );
  const pg = new Client({ connectionString: TEST_DATABASE_URL });
  await pg.connect();
  const terminals: SimulatedTerminal[] = [];
  return {
    app,
    url: app.url,
    clock,
    schema: schema.name,
    pg,
    logLines,
    terminals,
    async stop() {
      await Promise.all(terminals.map((t) => t.stop().catch(() => undefined)));
      await app.close();
      await pg.end();
      await schema.drop();
    },
  };
}

export async function startTerminal(site: Site, sn: string, doorCount = 1): Promise<SimulatedTerminal> {
  const t = new SimulatedTerminal({ serverUrl: site.url, sn, doorCount, requestDelayMs: 300 });
  t.on('error', () => undefined);
  site.terminals.push(t);
  await t.start();
  await t.waitOnline();
  return t;
}

export interface Reply<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

/** A tiny JSON client bound to one site and (optionally) one access token. */
export class Api {
  constructor(
    readonly url: string,
    public token?: string,
  ) {}

  async call<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply<T>> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        'user-agent': 'lanbridge-mobile-test/1.0',
        ...headers,
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    const type = res.headers.get('content-type') ?? '';
    return {
      status: res.status,
      body: (type.includes('json') && text ? JSON.parse(text) : text) as T,
      headers: res.headers,
    };
  }

  get<T = Record<string, unknown>>(path: string): Promise<Reply<T>> {
    return this.call<T>('GET', path);
  }

  post<T = Record<string, unknown>>(
    path: string,
    body: unknown = {},
    headers?: Record<string, string>,
  ): Promise<Reply<T>> {
    return this.call<T>('POST', path, body, headers);
  }

  put<T = Record<string, unknown>>(path: string, body: unknown): Promise<Reply<T>> {
    return this.call<T>('PUT', path, body);
  }
}

export async function login(
  url: string,
  creds: { type: 'admin'; username: string; password: string } | { type: 'personnel'; pin: string; password: string },
): Promise<Api> {
  const r = await new Api(url).post<{ accessToken: string }>('/api/v1/auth/login', creds);
  if (r.status !== 200) throw new Error(`login failed: ${r.status} ${JSON.stringify(r.body)}`);
  return new Api(url, r.body.accessToken);
}

/** A real SMTP server on 127.0.0.1:0 that keeps every message it receives. */
export class SmtpSink {
  readonly messages: ParsedMail[] = [];
  readonly logins: { user: string; pass: string }[] = [];
  private readonly server: SMTPServer;
  port = 0;

  constructor() {
    this.server = new SMTPServer({
      secure: false,
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      authOptional: true,
      logger: false,
      onAuth: (auth, _session, cb) => {
        this.logins.push({ user: auth.username ?? '', pass: auth.password ?? '' });
        cb(null, { user: auth.username });
      },
      onData: (stream, _session, cb) => {
        simpleParser(stream).then(
          (mail) => {
            this.messages.push(mail);
            cb();
          },
          (err: Error) => cb(err),
        );
      },
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.server.address() as AddressInfo).port;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A stream client that records every message. */
export class StreamClient {
  readonly messages: Record<string, unknown>[] = [];
  readonly ws: WebSocket;
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(url: string, protocols: string[]) {
    this.ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/v1/stream`, protocols);
    this.ws.on('message', (data: Buffer) =>
      this.messages.push(JSON.parse(data.toString('utf8')) as Record<string, unknown>),
    );
    this.closed = new Promise((resolve) =>
      this.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    this.ws.on('error', () => undefined);
  }

  static async open(url: string, token: string, via: 'protocol' | 'message'): Promise<StreamClient> {
    const c = new StreamClient(
      url,
      via === 'protocol' ? ['lanbridge.stream.v1', `bearer.${token}`] : ['lanbridge.stream.v1'],
    );
    await new Promise<void>((resolve, reject) => {
      c.ws.once('open', () => resolve());
      c.ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      c.ws.once('error', reject);
    });
    if (via === 'message') c.ws.send(JSON.stringify({ type: 'auth', token }));
    await waitFor('stream ready', () => Promise.resolve(c.messages.some((m) => m.type === 'ready')), 5000);
    return c;
  }

  of(type: string): Record<string, unknown>[] {
    return this.messages.filter((m) => m.type === type);
  }

  close(): void {
    this.ws.close();
  }
}

/** A small valid PNG (1×1). */
export const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
