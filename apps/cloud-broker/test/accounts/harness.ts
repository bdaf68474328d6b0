import { randomBytes } from 'node:crypto';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { SMTPServer } from 'smtp-server';
import { type RunningBroker, startBroker } from '../../src/bootstrap';

export const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

export interface Mail {
  readonly to: string[];
  readonly raw: string;
}

/** A real SMTP server on 127.0.0.1 that keeps what it receives. */
export class MailSink {
  readonly mails: Mail[] = [];
  private waiters: (() => void)[] = [];
  private server!: SMTPServer;
  port = 0;

  async start(): Promise<void> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream, session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          this.mails.push({
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          for (const w of this.waiters.splice(0)) w();
          cb();
        });
      },
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.server.address() as AddressInfo).port;
  }

  /** Waits for the next mail to `to` whose text matches `re`; returns the first capture (or match). */
  async link(to: string, re: RegExp, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (let i = this.mails.length - 1; i >= 0; i--) {
        const m = this.mails[i];
        if (!m || !m.to.includes(to)) continue;
        // Quoted-printable soft line breaks and =3D would split links.
        const text = m.raw.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
        const hit = re.exec(text);
        if (hit) {
          this.mails.splice(i, 1);
          return hit[1] ?? hit[0];
        }
      }
      if (Date.now() > deadline) throw new Error(`no mail to ${to} matching ${re}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A free loopback port (the issuer URL must be known before the broker starts). */
export async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export interface Harness {
  readonly broker: RunningBroker;
  readonly url: string;
  readonly mail: MailSink;
  readonly schema: string;
  close(): Promise<void>;
}

export const TEST_CLIENT = { clientId: 'test-app', redirectUri: 'http://127.0.0.1:9/callback' };
export const TEST_RS = { clientId: 'test-rs', clientSecret: 'test-rs-secret-0123456789abcdef' };
/** A confidential web client (server side, may skip PKCE). */
export const TEST_WEB = {
  clientId: 'test-web',
  clientSecret: 'test-web-secret-0123456789abcdef',
  redirectUri: 'http://127.0.0.1:9/web-callback',
};

export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  const schema = `accounts_e2e_${randomBytes(6).toString('hex')}`;
  const mail = new MailSink();
  await mail.start();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const broker = await startBroker({
    DATABASE_URL,
    DATABASE_SCHEMA: schema,
    BROKER_PORT: String(port),
    BROKER_PUBLIC_URL: url,
    REDIS_URL: 'redis://127.0.0.1:6379',
    LOG_LEVEL: 'silent',
    SMTP_URL: `smtp://127.0.0.1:${mail.port}`,
    OAUTH_DEVICE_INTERVAL_S: '1',
    AREAS: JSON.stringify([
      { id: 'sg', name: 'Singapore', brokerUrl: url },
      { id: 'us', name: 'America', brokerUrl: 'https://us.example.test' },
    ]),
    OAUTH_CLIENTS: JSON.stringify([
      {
        clientId: TEST_CLIENT.clientId,
        redirectUris: [TEST_CLIENT.redirectUri],
        grants: ['authorization_code', 'refresh_token'],
      },
      {
        clientId: TEST_RS.clientId,
        clientSecret: TEST_RS.clientSecret,
        redirectUris: [],
        grants: ['authorization_code'],
      },
      {
        clientId: TEST_WEB.clientId,
        clientSecret: TEST_WEB.clientSecret,
        redirectUris: [TEST_WEB.redirectUri],
        grants: ['authorization_code', 'refresh_token'],
      },
    ]),
    ...env,
  });
  return {
    broker,
    url,
    mail,
    schema,
    async close() {
      await broker.close();
      await mail.stop();
      const pg = new Client({ connectionString: DATABASE_URL });
      await pg.connect();
      await pg.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pg.end();
    },
  };
}

/** fetch with a cookie jar, like one browser. */
export class Browser {
  private readonly jar = new Map<string, string>();

  constructor(private readonly base: string) {}

  cookie(name: string): string | undefined {
    return this.jar.get(name);
  }

  async fetch(
    path: string,
    init: RequestInit & { form?: Record<string, string>; json?: unknown } = {},
  ): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.jar.size > 0) headers.set('cookie', [...this.jar].map(([k, v]) => `${k}=${v}`).join('; '));
    let body = init.body;
    if (init.form) {
      headers.set('content-type', 'application/x-www-form-urlencoded');
      body = new URLSearchParams(init.form).toString();
    } else if (init.json !== undefined) {
      headers.set('content-type', 'application/json');
      body = JSON.stringify(init.json);
    }
    const csrf = this.jar.get('lb_csrf');
    if (csrf && init.method && init.method !== 'GET' && !headers.has('x-csrf-token')) headers.set('x-csrf-token', csrf);
    const res = await fetch(path.startsWith('http') ? path : `${this.base}${path}`, {
      ...init,
      headers,
      body,
      redirect: 'manual',
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = (pair ?? '').indexOf('=');
      const name = (pair ?? '').slice(0, eq);
      const value = (pair ?? '').slice(eq + 1);
      if (/Max-Age=0/i.test(c) || value === '') this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return res;
  }
}

export interface TestUser {
  readonly email: string;
  readonly password: string;
  readonly browser: Browser;
  readonly userId: string;
}

/** Sign up → verification mail → verify → sign in. */
export async function signedUpUser(h: Harness, name: string): Promise<TestUser> {
  const email = `${name}-${randomBytes(3).toString('hex')}@example.test`;
  const password = `correct horse ${name} battery`;
  const browser = new Browser(h.url);
  const r = await browser.fetch('/api/v1/accounts', {
    method: 'POST',
    json: { firstName: name, lastName: 'Tester', email, contactNumber: '+65 6000 0000', password },
  });
  if (r.status !== 201) throw new Error(`sign-up ${r.status}: ${await r.text()}`);
  const token = await h.mail.link(email, /verify-email\?token=([A-Za-z0-9_-]+)/);
  const v = await browser.fetch('/api/v1/accounts/verify-email', { method: 'POST', json: { token } });
  if (v.status !== 204) throw new Error(`verify ${v.status}: ${await v.text()}`);
  const s = await browser.fetch('/api/v1/sessions', { method: 'POST', json: { email, password } });
  if (s.status !== 201) throw new Error(`sign-in ${s.status}: ${await s.text()}`);
  const body = (await s.json()) as { userId: string };
  return { email, password, browser, userId: body.userId };
}
