// The portal as a product, in a real browser (Debian's chromium through playwright-core) against a
// real broker on PostgreSQL, a real SMTP sink and a real connector: the home page, regions at
// activation, connector names, confirmation before destructive actions, dates in the reader's
// zone, mail in two parts, and every page on a 390 px phone (no horizontal scroll, axe-core clean).
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { createLogger } from '@lanbridge/logging';
import { createTestSchema, freePort, ROOT, TEST_DATABASE_URL, tempDir } from '@lanbridge/testing';
import { type ParsedMail, simpleParser } from 'mailparser';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { SMTPServer } from 'smtp-server';
// The connector runs in-process so the test can read which broker it dials; app code never
// crosses this boundary.
/* eslint-disable @nx/enforce-module-boundaries */
import { startConnector, type RunningConnector } from '../../../edge-connector/src/bootstrap';
/* eslint-enable @nx/enforce-module-boundaries */
import { type RunningBroker, startBroker } from '../../src/bootstrap';

const logger = createLogger('portal-pages-e2e', { level: process.env.LOG_LEVEL ?? 'silent' });
const SHOTS = path.join(ROOT, 'test-output', 'screenshots', 'portal');
const PASSWORD = 'correct horse battery staple';
const EMAIL = 'owner@portal-pages.test';
const PHONE = { width: 390, height: 844 };
const ZONE = 'Asia/Singapore';
/** Pages also shot at desktop size (the README shows some of them). */
const DESKTOP_SHOTS = new Set(['home', 'connectors', 'audit', 'qr', 'confirm-deactivate']);
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

interface Mail {
  readonly to: string;
  readonly parsed: ParsedMail;
}

async function startSmtpSink(): Promise<{ url: string; mails: Mail[]; close(): Promise<void> }> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const to = session.envelope.rcptTo.map((r) => r.address).join(',');
      simpleParser(stream).then(
        (parsed) => {
          mails.push({ to, parsed });
          callback();
        },
        (err: Error) => callback(err),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { url: `smtp://127.0.0.1:${port}`, mails, close: () => new Promise((r) => server.close(() => r())) };
}

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Both parts of an account mail, the link in each, and the expiry in the reader's zone. */
function checkMail(mail: Mail, linkPath: string): string {
  const { text, html } = mail.parsed;
  expect(typeof text).toBe('string');
  expect(typeof html).toBe('string');
  const link = new RegExp(`https?://[^\\s"<>]*${linkPath.replace(/[/?]/g, '\\$&')}[^\\s"<>]*`).exec(text ?? '')?.[0];
  if (!link) throw new Error(`no ${linkPath} link in:\n${text ?? ''}`);
  expect(html).toContain(`href="${link.replace(/&/g, '&amp;')}"`);
  // Singapore is UTC+8 all year: the reader's time first, UTC beside it.
  expect(text).toMatch(/The link works until \d{1,2} \w{3} \d{4}, \d\d:\d\d GMT\+8 \(.* UTC\)\./);
  expect(html).toContain('GMT+8');
  return link;
}

describe('cloud portal pages: home, regions, names, confirmations, phones and accessibility', () => {
  let schema: Awaited<ReturnType<typeof createTestSchema>>;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  let broker: RunningBroker;
  let browser: Browser;
  let phone: BrowserContext;
  let desktop: BrowserContext;
  let p: Page;
  let connector: RunningConnector | undefined;
  const dir = tempDir('portal-pages-e2e');
  let brokerUrl = '';
  /** The second region's broker URL: the same broker under another name, so the test sees which one is dialled. */
  let europeUrl = '';
  let orgId = '';
  let connectorId = '';

  /** A phone screenshot of the page `p` shows, and a desktop one of the main pages. */
  async function screenshots(name: string): Promise<void> {
    await p.screenshot({ path: path.join(SHOTS, `phone-${name}.png`), fullPage: true });
    if (!DESKTOP_SHOTS.has(name)) return;
    const d = await desktop.newPage();
    await d.goto(p.url());
    await d.screenshot({ path: path.join(SHOTS, `desktop-${name}.png`) });
    await d.close();
  }

  /** What every page must hold on a phone: no sideways scroll, no serious axe finding, local dates. */
  async function checkPage(name: string): Promise<void> {
    const started = Date.now();
    // The test's tsconfig has no DOM types: the expression runs in the page.
    const width = await p.evaluate<number>('document.documentElement.scrollWidth');
    expect({ page: name, scrollWidth: width }).toEqual({ page: name, scrollWidth: Math.min(width, PHONE.width) });
    const axeStarted = Date.now();
    const results = await new AxeBuilder({ page: p }).analyze();
    const axeMs = Date.now() - axeStarted;
    const bad = results.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    expect({ page: name, violations: bad }).toEqual({ page: name, violations: [] });
    // The page's script shows every date in the reader's zone (Singapore: GMT+8).
    const dates = await p.locator('time[datetime]').allTextContents();
    for (const d of dates) expect(d).toMatch(/GMT\+8/);
    await screenshots(name);
    if (process.env.TIMINGS) process.stdout.write(`${name}: ${Date.now() - started} ms (axe ${axeMs} ms)\n`);
  }

  async function go(url: string): Promise<void> {
    await p.goto(url);
    await p.waitForLoadState('load');
  }

  async function click(selector: string): Promise<void> {
    await Promise.all([p.waitForNavigation(), p.click(selector)]);
  }

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    schema = await createTestSchema('portal_pages');
    smtp = await startSmtpSink();
    const port = await freePort();
    brokerUrl = `http://127.0.0.1:${port}`;
    europeUrl = `http://localhost:${port}`;
    broker = await startBroker(
      {
        BROKER_PORT: String(port),
        BROKER_PUBLIC_URL: brokerUrl,
        DATABASE_URL: TEST_DATABASE_URL,
        DATABASE_SCHEMA: schema.name,
        SMTP_URL: smtp.url,
        AREAS: `Singapore=${brokerUrl},Europe (Frankfurt)=${europeUrl}`,
        OAUTH_DEVICE_INTERVAL_S: '1',
        LOG_LEVEL: 'silent',
        DRAIN_TIMEOUT_MS: '500',
      },
      { logger, tunnel: { pingIntervalMs: 300 } },
    );
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    phone = await browser.newContext({
      viewport: PHONE,
      isMobile: true,
      hasTouch: true,
      timezoneId: ZONE,
      locale: 'en-US',
    });
    desktop = await browser.newContext({ viewport: { width: 1100, height: 720 }, timezoneId: ZONE, locale: 'en-US' });
    p = await phone.newPage();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await connector?.close();
    await broker?.close();
    await smtp?.close();
    await schema?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('a home page at /, sign-up mail in HTML and text with local times, every account page on a phone', async () => {
    await go(`${brokerUrl}/`);
    expect(await p.title()).toBe('Home · Lanbridge');
    expect(await p.getAttribute('#sign-up', 'href')).toBe('/sign-up');
    expect(await p.getAttribute('#sign-in', 'href')).toBe('/sign-in');
    expect(await p.getAttribute('#phone-app', 'href')).toBe('/app/');
    expect(await p.locator('#regions li').allTextContents()).toEqual([
      expect.stringContaining('Singapore') as string,
      expect.stringContaining('Europe (Frankfurt)') as string,
    ]);
    expect(await p.locator('#main-nav a').allTextContents()).toEqual([
      'Home',
      'Portal',
      'Phone app',
      'Sign in',
      'Sign up',
    ]);
    await checkPage('home');

    await click('#sign-up');
    await checkPage('sign-up');
    await p.fill('#firstName', 'Olga');
    await p.fill('#lastName', 'Owner');
    await p.fill('#email', EMAIL);
    await p.fill('#contactNumber', '+65 6123 4567');
    await p.fill('#password', PASSWORD);
    await click('main button[type=submit]');
    const mail = await waitFor('verification mail', () => smtp.mails.find((m) => m.to === EMAIL));
    expect(mail.parsed.subject).toBe('Confirm your Lanbridge account');
    await go(checkMail(mail, '/verify-email?token='));
    await checkPage('verify-email');
    await click('main form button[type=submit]');

    await go(`${brokerUrl}/forgot-password`);
    await checkPage('forgot-password');
    await go(`${brokerUrl}/sign-in`);
    await checkPage('sign-in');
    await p.fill('#email', EMAIL);
    await p.fill('#password', PASSWORD);
    await Promise.all([p.waitForURL(/\/portal$/), p.click('main button[type=submit]')]);
    await desktop.addCookies(await phone.cookies());

    await p.fill('#name', 'Harbour Logistics');
    await Promise.all([p.waitForURL(/\/portal\/companies\/[0-9a-f-]+$/), p.click('#create-company button')]);
    orgId = /companies\/([0-9a-f-]+)$/.exec(p.url())?.[1] ?? '';
    // The home page knows who is signed in.
    await go(`${brokerUrl}/`);
    expect(await p.getAttribute('#open-portal', 'href')).toBe('/portal');
  }, 90_000);

  it('offers the regions at activation, records the one chosen, and the connector dials its broker', async () => {
    connector = await startConnector(
      {
        CLOUD_URL: brokerUrl,
        CONNECTOR_KEY_FILE: path.join(dir, 'connector', 'connector.key'),
        STATUS_PORT: '0',
        LOCAL_APP_URL: 'http://127.0.0.1:9',
        BACKOFF_BASE_MS: '100',
        BACKOFF_MAX_MS: '2000',
        LOG_LEVEL: 'silent',
      },
      { logger, hostname: 'gw-01.harbour.lan' },
    );
    const local = await desktop.newPage();
    await local.goto(connector.statusUrl);
    const offered: [string | null, string | undefined][] = [];
    for (const o of await local.locator('#setup #area option').all()) {
      offered.push([await o.getAttribute('value'), (await o.textContent())?.trim()]);
    }
    expect(offered).toEqual([
      ['singapore', expect.stringContaining('Singapore') as string],
      ['europe-frankfurt', expect.stringContaining('Europe (Frankfurt)') as string],
    ]);
    await local.selectOption('#setup #area', 'europe-frankfurt');
    await local.fill('#setup #localAppUrl', 'http://127.0.0.1:9');
    await Promise.all([local.waitForNavigation(), local.click('#continue')]);
    const userCode = (await local.textContent('#user-code'))?.trim() ?? '';
    // The connector asked the chosen region's broker (its sign-up link points there).
    expect(await local.getAttribute('#register-link', 'href')).toContain(`${europeUrl}/sign-up`);
    await local.close();

    // Approved where the user is signed in (the same broker, under its other name).
    await go(`${brokerUrl}/activate`);
    await checkPage('activate');
    await p.fill('#user_code', userCode);
    await click('main form button[type=submit]');
    expect(await p.textContent('#device-area')).toBe('Europe (Frankfurt)');
    await p.selectOption('#organization_id', orgId);
    await checkPage('approve-connector');
    await click('button[value=approve]');

    await waitFor('connector online', () => connector?.runtime.client?.state === 'online', 20_000);
    expect(connector.runtime.state).toMatchObject({ area: 'europe-frankfurt', brokerUrl: europeUrl });
    expect(connector.runtime.client?.status().brokerUrl).toBe(`${europeUrl.replace('http:', 'ws:')}/tunnel/v1/connect`);
    connectorId = connector.runtime.state?.connectorId ?? '';
    expect(broker.registry.get(connectorId)).toBeDefined();

    await go(`${brokerUrl}/portal/companies/${orgId}/connectors`);
    const card = p.locator(`.connector[data-connector-id="${connectorId}"]`);
    expect(await card.locator('.area').textContent()).toBe('Europe (Frankfurt)');
    expect(await card.locator('.connector-name').textContent()).toBe('gw-01.harbour.lan');
    expect(await card.locator('.status').textContent()).toBe('Online');
  }, 60_000);

  it('renames a connector; rotating the QR asks first (cancel keeps it, confirm rotates); invitations arrive', async () => {
    const connectors = `${brokerUrl}/portal/companies/${orgId}/connectors`;
    await go(connectors);
    const card = p.locator(`.connector[data-connector-id="${connectorId}"]`);
    await card.locator('.rename-form input[name=name]').fill('  Front gate   gateway ');
    await Promise.all([p.waitForNavigation(), card.locator('.rename-form button').click()]);
    expect(await p.textContent('#notice')).toBe('Connector renamed.');
    expect(await card.locator('.connector-name').textContent()).toBe('Front gate gateway');
    expect(await card.locator('.hostname').textContent()).toBe('gw-01.harbour.lan');
    const empty = await p.request.post(`${connectors}/${connectorId}/name`, {
      form: { _csrf: (await phone.cookies()).find((c) => c.name === 'lb_csrf')?.value ?? '', name: '   ' },
      maxRedirects: 0,
    });
    expect(empty.status()).toBe(400);
    expect(await empty.text()).toContain('INVALID_CONNECTOR_NAME');

    const qr = `${brokerUrl}/portal/companies/${orgId}/qr`;
    await go(qr);
    const jti = await p.textContent('#qr-jti');
    await click('#rotate a');
    expect(p.url()).toBe(`${qr}/rotate`);
    expect(await p.textContent('#confirm-title')).toBe('Rotate the QR code?');
    await checkPage('confirm-rotate');
    await click('#cancel');
    expect(p.url()).toBe(qr);
    expect(await p.textContent('#qr-jti')).toBe(jti);
    await click('#rotate a');
    await click('#confirm button');
    expect(await p.textContent('#notice')).toContain('revoked');
    expect(await p.textContent('#qr-jti')).not.toBe(jti);

    await go(`${brokerUrl}/portal/companies/${orgId}`);
    await p.fill('#invite #email', 'newcomer@portal-pages.test');
    await p.selectOption('#invite #role', 'admin');
    await click('#invite button');
    expect(await p.textContent('#notice')).toBe('Invitation sent.');
    const invitation = await waitFor('invitation mail', () =>
      smtp.mails.find((m) => m.to === 'newcomer@portal-pages.test'),
    );
    expect(invitation.parsed.subject).toBe('You are invited to Harbour Logistics on Lanbridge');
    // The link opens the accept page (here for the signed-in owner, who does not accept).
    await go(checkMail(invitation, '/invitations/accept?token='));
    expect(await p.textContent('main h1')).toBe('Join a company');
    await checkPage('invitation');
    expect(invitation.parsed.html).toContain('Join Harbour Logistics');
  }, 60_000);

  it('every portal page fits a 390 px phone and has no serious or critical axe finding', async () => {
    const company = `${brokerUrl}/portal/companies/${orgId}`;
    await go(`${brokerUrl}/portal`);
    expect(await p.locator('#main-nav a[aria-current=page]').textContent()).toBe('Portal');
    await checkPage('companies');
    await go(company);
    await checkPage('company');
    await go(`${company}/connectors`);
    await checkPage('connectors');
    // The dark colour scheme keeps its contrast too.
    await p.emulateMedia({ colorScheme: 'dark' });
    await checkPage('connectors-dark');
    await p.emulateMedia({ colorScheme: 'light' });
    await click('#create-code button');
    expect(await p.textContent('#activation-code')).toMatch(/^[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$/);
    await checkPage('activation-code');
    await go(`${company}/site-data`);
    await checkPage('site-data');
    await click('#delete-site-data a');
    await checkPage('confirm-delete-site-data');
    await go(`${company}/qr`);
    await checkPage('qr');
    await go(`${company}/audit`);
    const rows = p.locator('.audit-row');
    // Names, not ids: the renamed connector and readable actions.
    const renamed = rows.filter({ has: p.locator('.target', { hasText: 'Front gate gateway' }) });
    expect(await renamed.count()).toBeGreaterThan(0);
    expect(await p.locator('.audit-row[data-action="connector.renamed"] td').nth(1).textContent()).toContain(
      'Connector renamed',
    );
    expect(await p.locator('#audit').textContent()).not.toContain(connectorId);
    await checkPage('audit');
    await go(`${company}/connectors/${connectorId}/deactivate`);
    await checkPage('confirm-deactivate');
    const missing = await p.goto(`${brokerUrl}/portal/companies/00000000-0000-4000-8000-000000000000`);
    expect(missing?.status()).toBe(404);
    expect(await p.textContent('#user-email')).toBe(EMAIL);
    await checkPage('not-found');
    // 11 pages with axe-core: about 40 s on a quiet machine, more under load.
  }, 180_000);

  it('asks before deactivating: cancel leaves the connector online, confirm deactivates it', async () => {
    const connectors = `${brokerUrl}/portal/companies/${orgId}/connectors`;
    await go(connectors);
    const card = p.locator(`.connector[data-connector-id="${connectorId}"]`);
    await Promise.all([p.waitForNavigation(), card.locator('.deactivate-form a').click()]);
    expect(await p.textContent('#confirm-title')).toBe('Deactivate Front gate gateway?');
    await click('#cancel');
    expect(p.url()).toBe(connectors);
    expect(await card.locator('.status').textContent()).toBe('Online');
    expect(connector?.runtime.client?.state).toBe('online');

    await Promise.all([p.waitForNavigation(), card.locator('.deactivate-form a').click()]);
    await click('#confirm button');
    expect(await p.textContent('#notice')).toContain('deactivated');
    expect(await card.locator('.status').textContent()).toBe('Deactivated');
    await waitFor('tunnel closed', () => connector?.runtime.client?.state !== 'online', 2000);
  }, 30_000);
});
