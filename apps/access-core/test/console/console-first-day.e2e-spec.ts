/**
 * An operator's first day in the site console, in a real browser (Debian's chromium through
 * playwright-core, desktop viewport) against the real stack (access-core with the demo site,
 * broker, connector; simulated terminals; an SMTP sink): sign in, add a person with a photo
 * (file, then camera), turn on App Login, approve a new terminal while another stays unapproved
 * and receives nobody, set the mail server and send a test mail that arrives, turn on cloud
 * push; then that person signs in on the phone path (the mobile SDK through the broker) and
 * sends an invitation that arrives. axe-core on every screen, light and dark: no serious or
 * critical violation. Screenshots of every screen go to test-output/site-console/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { PNG } from 'pngjs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createNodeClient, decodeQrImage } from '@lanbridge/mobile-sdk/node';
import { SimulatedTerminal } from '@lanbridge/terminal-simulator';
import { type SiteStack, type SmtpSink, startSiteStack, startSmtpSink, waitFor } from '@lanbridge/testing';

jest.setTimeout(150_000);

const SHOTS = path.resolve(__dirname, '../../../../test-output/site-console');
const PERSON = { pin: '2001', first: 'Lena', last: 'Ortiz', card: '424242', password: 'lena-app-pass-1' };

/** A 96×96 PNG with a gradient (what an operator would pick as a photo file). */
function portraitPng(): Buffer {
  const png = new PNG({ width: 96, height: 96 });
  for (let y = 0; y < 96; y++) {
    for (let x = 0; x < 96; x++) {
      const i = (y * 96 + x) * 4;
      png.data[i] = 40 + x;
      png.data[i + 1] = 90 + y;
      png.data[i + 2] = 160;
      png.data[i + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

describe("an operator's first day in the site console", () => {
  let stack: SiteStack;
  let sink: SmtpSink;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let token: string;
  const terminals: SimulatedTerminal[] = [];
  const axeFindings: string[] = [];

  const api = async <T>(method: string, p: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${stack.accessCoreUrl}${p}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };

  const terminal = async (sn: string, doorCount = 1): Promise<SimulatedTerminal> => {
    const t = new SimulatedTerminal({
      serverUrl: stack.accessCoreUrl,
      sn,
      doorCount,
      requestDelayMs: 500,
      errorDelayMs: 500,
    });
    t.on('error', () => undefined);
    terminals.push(t);
    await t.start();
    return t;
  };

  /** Waits for the screen to settle, runs axe, keeps the serious and critical findings, takes a screenshot. */
  const check = async (name: string): Promise<void> => {
    await page
      .locator('.ant-spin-spinning')
      .first()
      .waitFor({ state: 'detached', timeout: 10_000 })
      .catch(() => undefined);
    await page.waitForTimeout(400);
    const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    for (const v of result.violations) {
      if (v.impact === 'serious' || v.impact === 'critical') {
        axeFindings.push(
          `${name}: ${v.id} (${v.impact}) ${v.nodes
            .map((n) => n.target.join(' '))
            .slice(0, 3)
            .join(' | ')}`,
        );
      }
    }
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
  };

  const shot = async (name: string): Promise<void> => {
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
  };

  const go = async (menu: string): Promise<void> => {
    await page.getByRole('menuitem', { name: menu }).click();
    await page.getByRole('heading', { level: 1, name: menu }).waitFor();
  };

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    sink = await startSmtpSink();
    stack = await startSiteStack({ prefix: 'console_day', accessCoreEnv: { DEVICE_OFFLINE_AFTER_MS: '6000' } });
    const login = await fetch(`${stack.accessCoreUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'admin', username: 'admin', password: stack.adminPassword }),
    });
    token = ((await login.json()) as { accessToken: string }).accessToken;
    // Two of the demo site's terminals are on the LAN and online (the others stay offline).
    for (const d of stack.demo.devices.slice(0, 2)) await terminal(d.sn, d.doors);
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        // A camera for the photo step: Chromium's test pattern, allowed without a prompt.
        '--use-fake-device-for-media-stream',
        '--use-fake-ui-for-media-stream',
      ],
    });
    context = await browser.newContext({
      viewport: { width: 1366, height: 860 },
      locale: 'en-US',
      colorScheme: 'light',
    });
    await context.grantPermissions(['camera'], { origin: stack.accessCoreUrl });
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all(terminals.map((t) => t.stop().catch(() => undefined)));
    await stack?.stop();
    await sink?.close();
  });

  it('signs in as the operator (and a wrong password is refused in words)', async () => {
    await page.goto(`${stack.accessCoreUrl}/`);
    await page.getByRole('heading', { name: 'Sign in to the site console' }).waitFor();
    await check('sign-in');
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Wrong user name or password.').waitFor();
    await page.getByLabel('Password').fill(stack.adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    await page.getByTestId('site-name').getByText('Cloud path test site').waitFor();
  });

  it('adds a person with a photo file, App Login on and an app password; then retakes the photo with the camera', async () => {
    await go('People');
    await page.getByRole('button', { name: 'Add person' }).click();
    const drawer = page.locator('.ant-drawer');
    await drawer.getByLabel('Personnel ID').fill(PERSON.pin);
    await drawer.getByLabel('First name').fill(PERSON.first);
    await drawer.getByLabel('Last name').fill(PERSON.last);
    await drawer.getByLabel('Card number').fill(PERSON.card);
    await drawer.getByLabel('Email').fill('lena@example.test');
    await drawer
      .locator('input[type=file]')
      .setInputFiles({ name: 'lena.png', mimeType: 'image/png', buffer: portraitPng() });
    await drawer.getByTestId('photo-preview').waitFor();
    await drawer.getByLabel('Allow App Login').click();
    await drawer.getByLabel('App password').fill(PERSON.password);
    await check('person-new');
    await page.getByTestId('person-save').click();
    await page.getByRole('row', { name: new RegExp(`${PERSON.pin}.*${PERSON.first} ${PERSON.last}`) }).waitFor();

    const found = await api<{
      items: { id: string; appLoginEnabled: boolean; photoUrl: string | null; cardNo: string }[];
    }>('GET', `/api/v1/people?q=${PERSON.pin}`);
    const person = found.items[0];
    expect(person).toMatchObject({ appLoginEnabled: true, cardNo: PERSON.card, photoUrl: expect.any(String) });
    const first = Buffer.from(
      await (
        await fetch(`${stack.accessCoreUrl}${person.photoUrl}`, { headers: { authorization: `Bearer ${token}` } })
      ).arrayBuffer(),
    );
    expect(first.subarray(0, 3).toString('hex')).toBe('ffd8ff'); // a JPEG

    // The camera: Chromium's fake device shows a test pattern; the shot replaces the photo.
    await page
      .getByRole('row', { name: new RegExp(PERSON.pin) })
      .getByRole('button', { name: 'Edit' })
      .click();
    await drawer.getByRole('button', { name: 'Camera' }).click();
    const dialog = page.getByRole('dialog', { name: 'Camera' });
    await dialog.locator('video').waitFor();
    await waitFor(
      'the camera picture',
      async () =>
        (await dialog.locator('video').evaluate((v) => (v as unknown as { videoWidth: number }).videoWidth)) > 0,
    );
    await dialog.getByRole('button', { name: 'Take photo' }).click();
    await drawer.getByTestId('photo-preview').waitFor();
    await shot('person-edit');
    // The toast of the first save may still be up: wait for this save's answer itself.
    const patched = page.waitForResponse(
      (r) => r.request().method() === 'PATCH' && r.url().endsWith(`/api/v1/people/${person.id}`),
    );
    await page.getByTestId('person-save').click();
    expect((await patched).status()).toBe(200);
    await page.getByText(`${PERSON.first} ${PERSON.last} saved`).first().waitFor();
    const second = Buffer.from(
      await (
        await fetch(`${stack.accessCoreUrl}${person.photoUrl}`, { headers: { authorization: `Bearer ${token}` } })
      ).arrayBuffer(),
    );
    expect(second.subarray(0, 3).toString('hex')).toBe('ffd8ff');
    expect(second.equals(first)).toBe(false);
    await shot('people');
  });

  it('approves a new terminal into an area; another one, never approved, receives no person', async () => {
    const dock = await terminal('LBNEWDOCK001', 1);
    const stranger = await terminal('LBSTRANGER01', 1);
    await waitFor('both terminals waiting for approval', async () => {
      const p = await api<{ items: { sn: string }[] }>('GET', '/api/v1/devices?approval=pending');
      return ['LBNEWDOCK001', 'LBSTRANGER01'].every((sn) => p.items.some((d) => d.sn === sn));
    });
    await go('Devices');
    await page.getByRole('tab', { name: /Waiting for approval/ }).click();
    const row = page.getByRole('row', { name: /LBNEWDOCK001/ });
    await row.waitFor();
    await shot('devices-pending');
    await row.getByRole('button', { name: 'Approve' }).click();
    const dialog = page.getByRole('dialog', { name: /Approve terminal/ });
    await dialog.getByLabel('Name').fill('Goods entrance');
    await dialog.getByLabel('Area').click();
    await page.locator('.ant-select-item-option', { hasText: 'Warehouse' }).click();
    await check('devices-approve');
    await dialog.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('Goods entrance approved').waitFor();

    // The approved terminal registers and receives the site's people, the new one included.
    await dock.waitOnline(60_000);
    await waitFor(
      'the new person on the approved terminal',
      () => Promise.resolve(dock.tables.userByPinOrUndefined(PERSON.pin)?.cardno === PERSON.card),
      60_000,
    );
    const approved = await api<{ items: { sn: string; name: string; areaName: string }[] }>(
      'GET',
      '/api/v1/devices?pageSize=100',
    );
    expect(approved.items.find((d) => d.sn === 'LBNEWDOCK001')).toMatchObject({
      name: 'Goods entrance',
      areaName: 'Warehouse',
    });
    // The one nobody approved has been asking all along and got nobody.
    expect(stranger.online).toBe(false);
    expect(stranger.tables.users()).toEqual([]);
    await page.getByRole('tab', { name: 'Terminals' }).click();
    await page
      .getByRole('row', { name: /Goods entrance/ })
      .getByText('Online')
      .waitFor({ timeout: 20_000 });
    await shot('devices');
  });

  it('sets the mail server and sends a test mail that arrives', async () => {
    await go('Settings');
    const card = page.locator('.ant-card', { has: page.getByRole('heading', { name: 'Mail server' }) });
    await card.getByLabel('Host').fill('127.0.0.1');
    await card.getByLabel('Port').fill(String(sink.port));
    await card.getByLabel('Sender').fill('Front desk <desk@site.test>');
    await card.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Mail server saved').waitFor();
    await card.getByLabel('Send to address').fill('operator@example.test');
    await card.getByRole('button', { name: 'Send test mail' }).click();
    await card.getByText('A test mail was sent to operator@example.test.').waitFor();
    await waitFor('the test mail in the sink', () =>
      Promise.resolve(sink.mails.some((m) => JSON.stringify(m.to).includes('operator@example.test'))),
    );
    expect(sink.mails.find((m) => JSON.stringify(m.to).includes('operator@example.test'))?.subject).toContain(
      'Test mail',
    );
  });

  it('turns on cloud push', async () => {
    await page.getByLabel('Push to app').click();
    await waitFor(
      'push to app on',
      async () => (await api<{ pushToApp: boolean }>('GET', '/api/v1/settings/cloud')).pushToApp,
    );
    await shot('settings');
  });

  it('the person signs in on the phone path (SDK through the broker) and sends an invitation that arrives', async () => {
    const qrUrl = stack.connectorStatusUrl.replace(/\/status$/, '/org-qr.png');
    let qrText = '';
    await waitFor('a QR pinning the site key', async () => {
      const res = await fetch(qrUrl);
      if (res.status !== 200) return false;
      qrText = decodeQrImage(Buffer.from(await res.arrayBuffer()));
      const claims = JSON.parse(Buffer.from(qrText.split('#')[1].split('.')[1], 'base64url').toString()) as {
        skt?: string;
      };
      return typeof claims.skt === 'string';
    });
    const phone = createNodeClient({ trustedIssuers: [{ issuer: stack.brokerUrl }] });
    await phone.scan(qrText);
    const session = await phone.login({ type: 'personnel', pin: PERSON.pin, password: PERSON.password });
    expect(session.role).toBe('personnel');
    const start = new Date(Date.now() - 60_000);
    await phone.invitations.create({
      firstName: 'Iris',
      lastName: 'Guest',
      email: 'iris@example.test',
      startAt: start.toISOString(),
      endAt: new Date(start.getTime() + 4 * 3600_000).toISOString(),
      reason: 'First-day tour',
    });
    await waitFor('the invitation mail', () =>
      Promise.resolve(sink.mails.some((m) => JSON.stringify(m.to).includes('iris@example.test'))),
    );
  });

  const screens: [string, string, string?][] = [
    ['overview', 'Overview'],
    ['people', 'People'],
    ['devices', 'Devices'],
    ['devices-areas', 'Devices', 'Areas'],
    ['devices-doors', 'Devices', 'Doors'],
    ['devices-lockdown', 'Devices', 'Lockdown groups'],
    ['alarms', 'Alarms'],
    ['access-records', 'Access records'],
    ['visitors', 'Visitors'],
    ['operation-log', 'Operation log'],
    ['settings', 'Settings'],
  ];

  for (const scheme of ['light', 'dark'] as const) {
    it(`every screen in ${scheme}: no serious or critical accessibility violation`, async () => {
      // The light run also reports what the journey above found on its dialogs.
      if (scheme === 'dark') axeFindings.length = 0;
      await page.emulateMedia({ colorScheme: scheme });
      for (const [name, menu, tab] of screens) {
        await go(menu);
        if (tab) await page.getByRole('tab', { name: tab }).click();
        await check(scheme === 'light' ? name : `${name}-dark`);
      }
      expect(axeFindings).toEqual([]);
    });
  }

  it('switches to Simplified Chinese, and signs out to the sign-in page (dark)', async () => {
    axeFindings.length = 0;
    await page.emulateMedia({ colorScheme: 'light' });
    await page.getByTestId('language').click();
    await page.locator('.ant-select-item-option', { hasText: '简体中文' }).click();
    await page.getByRole('menuitem', { name: '人员' }).click();
    await page.getByRole('heading', { level: 1, name: '人员' }).waitFor();
    await check('people-zh-CN');
    await page.getByRole('menuitem', { name: '设备' }).click();
    await page.getByRole('heading', { level: 1, name: '设备' }).waitFor();
    await check('devices-zh-CN');
    await page.getByTestId('language').click();
    await page.locator('.ant-select-item-option', { hasText: 'English' }).click();
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.getByTestId('account-menu').hover();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to the site console' }).waitFor();
    await check('sign-in-dark');
    expect(axeFindings).toEqual([]);
  });
});
