import type { ActivationState } from '../activation/activation-state';
import type { Area } from '../activation/areas';
import type { ActivationView } from '../activation/activation.service';
import type { ConnectionView } from '../activation/connector-runtime';
import { LANGUAGE_NAMES, LANGUAGES, type Language, type MessageKey, type Translate } from '../i18n/i18n';
import { html, raw, type SafeHtml } from './html';

export interface PageModel {
  readonly lang: Language;
  readonly t: Translate;
  readonly view: ActivationView;
  readonly areas: readonly Area[];
  readonly areasFallback: boolean;
  readonly defaultLocalAppUrl: string;
  readonly state: ActivationState | undefined;
  readonly connection: ConnectionView;
  readonly localAppUrl: string;
  /** Inline SVG of the organisation QR, when known. */
  readonly qrSvg: string | undefined;
  /** One-off notice or error (after a form post). */
  readonly notice?: {
    readonly kind: 'ok' | 'error';
    readonly key: MessageKey;
    readonly params?: Record<string, string>;
  };
}

const CSS = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans SC",sans-serif;margin:0;background:#f4f6f8;color:#1d2530}
header{background:#0f3d5e;color:#fff;padding:12px 24px;display:flex;justify-content:space-between;align-items:center}
header h1{font-size:1.2rem;margin:0}
header nav a{color:#cfe6f7;margin-left:12px;text-decoration:none}
header nav a[aria-current]{color:#fff;font-weight:600;text-decoration:underline}
main{max-width:760px;margin:24px auto;background:#fff;border-radius:8px;padding:24px 32px;box-shadow:0 1px 3px rgba(0,0,0,.12)}
ol.steps{display:flex;gap:8px;list-style:none;padding:0;margin:0 0 24px;counter-reset:s}
ol.steps li{flex:1;padding:8px;border-bottom:3px solid #d5dde5;color:#6b7785;font-size:.9rem;counter-increment:s}
ol.steps li::before{content:counter(s) ". "}
ol.steps li.done{border-color:#6aa84f;color:#3b6b2a}
ol.steps li.current{border-color:#1f78b4;color:#1d2530;font-weight:600}
label{display:block;margin:12px 0 4px;font-weight:600}
input,select{font-size:1rem;padding:8px;width:100%;box-sizing:border-box;border:1px solid #b8c4cf;border-radius:4px}
button{margin-top:16px;font-size:1rem;padding:8px 20px;border:0;border-radius:4px;background:#1f78b4;color:#fff;cursor:pointer}
button.secondary{background:#6b7785}
.code{font:700 2rem ui-monospace,monospace;letter-spacing:.15em;background:#eef4f9;padding:12px 20px;display:inline-block;border-radius:6px}
.badge{display:inline-block;padding:2px 10px;border-radius:10px;font-weight:600}
.badge.online{background:#d9f2d0;color:#2d6a1f}.badge.offline{background:#f8d7d3;color:#8a1c12}
.notice{padding:8px 12px;border-radius:4px;margin-bottom:16px}.notice.ok{background:#d9f2d0}.notice.error{background:#f8d7d3}
dl{display:grid;grid-template-columns:max-content 1fr;gap:6px 16px}dt{font-weight:600}dd{margin:0;word-break:break-all}
.qr svg{width:260px;height:260px}
details{margin-top:24px}
`;

function stepper(t: Translate, current: 1 | 2 | 3 | 4 | 5): SafeHtml {
  const keys: MessageKey[] = ['steps.area', 'steps.bind', 'steps.company', 'steps.wait'];
  return html`<ol class="steps">
    ${keys.map((k, i) => {
      const n = i + 1;
      const cls = n < current ? 'done' : n === current ? 'current' : '';
      return html`<li class="${cls}" ${n === current ? raw('aria-current="step"') : ''}>${t(k)}</li>`;
    })}
  </ol>`;
}

function setupStep(m: PageModel): SafeHtml {
  const { t } = m;
  const fields = html` <label for="area">${t('area.label')}</label>
    <select id="area" name="area">
      ${m.areas.map((a) => html`<option value="${a.id}">${a.name}</option>`)}
    </select>
    <label for="appType">${t('app.type')}</label>
    <select id="appType" name="appType">
      <option value="access-core">${t('app.accessCore')}</option>
    </select>
    <label for="localAppUrl">${t('app.address')}</label>
    <input
      id="localAppUrl"
      name="localAppUrl"
      type="url"
      required
      value="${m.defaultLocalAppUrl}"
      placeholder="${t('app.addressHint')}"
    />`;
  return html`${stepper(t, 1)}
    <p>${t('area.intro')}</p>
    ${m.areasFallback ? html`<p class="notice error">${t('area.fallback')}</p>` : ''}
    <form method="post" action="/activation/start" id="setup">
      ${fields}
      <button type="submit" id="continue">${t('action.continue')}</button>
    </form>
    <details>
      <summary>${t('code.intro')}</summary>
      <form method="post" action="/activation/code" id="code-form">
        ${fields}
        <label for="code">${t('code.label')}</label>
        <input id="code" name="code" autocomplete="off" required />
        <button type="submit">${t('code.submit')}</button>
      </form>
    </details>`;
}

function pendingStep(m: PageModel): SafeHtml {
  const { t } = m;
  const p = m.view.pending;
  if (!p) return html``;
  return html`${stepper(t, 2)}
    <p>${t('bind.intro')}</p>
    <p><span class="code" id="user-code">${p.userCode}</span></p>
    <p>
      <a id="verification-link" href="${p.verificationUri}" target="_blank" rel="noopener">${t('bind.link')}</a>
      (${p.verificationUri})
    </p>
    <p><a id="register-link" href="${p.registerUrl}" target="_blank" rel="noopener">${t('bind.register')}</a></p>
    <h2>${t('steps.company')}</h2>
    <p>${t('company.intro')}</p>
    <h2>${t('steps.wait')}</h2>
    <p id="waiting">${t('wait.pending')}</p>
    <p>${t('bind.expires', { time: p.expiresAt.toLocaleTimeString(m.lang === 'zh' ? 'zh-CN' : m.lang) })}</p>
    <form method="post" action="/activation/cancel"><button class="secondary">${t('wait.cancel')}</button></form>`;
}

function failedStep(m: PageModel): SafeHtml {
  const { t } = m;
  const f = m.view.failure;
  const key: MessageKey =
    f?.code === 'ACTIVATION_DENIED'
      ? 'error.denied'
      : f?.code === 'ACTIVATION_EXPIRED'
        ? 'error.expired'
        : f?.code === 'ACTIVATION_CODE_INVALID'
          ? 'error.codeInvalid'
          : 'error.generic';
  return html`${stepper(t, 4)}
    <p class="notice error" id="failure">${t(key, { detail: f?.message ?? '' })}</p>
    <form method="post" action="/activation/cancel"><button>${t('action.restart')}</button></form>`;
}

function activatedStep(m: PageModel): SafeHtml {
  const { t, state, connection: c } = m;
  const badge = c.online
    ? html`<span class="badge online" id="cloud-status">${t('status.online')}</span>`
    : html`<span class="badge offline" id="cloud-status">${t('status.offline')}</span>`;
  return html`${stepper(t, 5)}
    <h2>${t('done.title')}</h2>
    ${state ? html`<p>${t('done.intro', { org: state.orgName })}</p>` : ''}
    <h3>${t('status.title')}: ${badge}</h3>
    ${
      c.revoked
        ? html`<p class="notice error" id="revoked">${t('status.revoked')}</p>
            <form method="post" action="/activation/reset"><button>${t('status.reactivate')}</button></form>`
        : ''
    }
    ${c.siteClaimed ? html`<p class="notice error" id="site-claimed">${t('status.siteClaimed')}</p>` : ''}
    <dl>
      ${
        state
          ? html`<dt>${t('status.organisation')}</dt>
              <dd id="org-name">${state.orgName}</dd>
              <dt>${t('status.area')}</dt>
              <dd>${state.area}</dd>
              <dt>${t('status.connectorId')}</dt>
              <dd id="connector-id">${state.connectorId}</dd>`
          : ''
      }
      ${
        c.lastError && !c.online
          ? html`<dt>${t('status.lastError')}</dt>
              <dd>${c.lastError.code}: ${c.lastError.message}</dd>`
          : ''
      }
    </dl>
    <h3>${t('status.qr')}</h3>
    ${
      m.qrSvg
        ? html`<div class="qr" id="org-qr">${raw(m.qrSvg)}</div>
            <p>
              <a href="/org-qr.png" download="organisation-qr.png">PNG</a> ·
              <a href="/org-qr.svg" download="organisation-qr.svg">SVG</a>
            </p>`
        : html`<p id="org-qr-missing">${t('done.qrMissing')}</p>`
    }
    <form method="post" action="/settings/server-address" id="address-form">
      <label for="localAppUrl">${t('app.address')}</label>
      <input id="localAppUrl" name="localAppUrl" type="url" required value="${m.localAppUrl}" />
      <button type="submit">${t('address.save')}</button>
    </form>
    <script>
      // Keeps the Online/Offline badge current without reloading over the address field.
      setInterval(async () => {
        try {
          const s = await (await fetch('/status')).json();
          const b = document.getElementById('cloud-status');
          const online = s.online === true;
          if ((b.className.includes('online') && !b.className.includes('offline')) !== online) location.reload();
        } catch (e) {}
      }, 2000);
    </script>`;
}

/** The whole connector page for the current phase. */
export function renderConnectorPage(m: PageModel): string {
  const { t } = m;
  const body =
    m.view.phase === 'activated'
      ? activatedStep(m)
      : m.view.phase === 'pending'
        ? pendingStep(m)
        : m.view.phase === 'failed'
          ? failedStep(m)
          : setupStep(m);
  const refresh = m.view.phase === 'pending' ? raw('<meta http-equiv="refresh" content="2">') : '';
  const doc = html`<!doctype html>
    <html lang="${m.lang === 'zh' ? 'zh-CN' : m.lang}">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width,initial-scale=1" />
        ${refresh}
        <title>${t('page.title')}</title>
        <style>
          ${raw(CSS)}
        </style>
      </head>
      <body>
        <header>
          <h1>${t('page.title')}</h1>
          <nav aria-label="${t('lang.label')}">
            ${LANGUAGES.map((l) =>
              l === m.lang
                ? html`<a href="?lang=${l}" aria-current="true" lang="${l}">${LANGUAGE_NAMES[l]}</a>`
                : html`<a href="?lang=${l}" lang="${l}">${LANGUAGE_NAMES[l]}</a>`,
            )}
          </nav>
        </header>
        <main>
          ${m.notice ? html`<p class="notice ${m.notice.kind}" id="notice">${t(m.notice.key, m.notice.params)}</p>` : ''}
          ${body}
        </main>
      </body>
    </html>`;
  return doc.value;
}
