import type { Response } from 'express';
import { PORTAL_CSS_HREF, PORTAL_JS_HREF } from './portal-assets';

/** HTML that is already safe to embed (built by `html` or `raw`). */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and quoted attribute values. */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** Trusted markup, taken as is. Never pass user input. */
export function raw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

type Interpolation = SafeHtml | string | number | boolean | null | undefined | readonly Interpolation[];

function render(v: Interpolation): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof SafeHtml) return v.value;
  if (Array.isArray(v)) return (v as readonly Interpolation[]).map(render).join('');
  return esc(v);
}

/** Tagged template: every interpolation is escaped unless it is SafeHtml; arrays are joined. */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

/** The parts of the site the top navigation links to. */
export type Section = 'home' | 'portal' | 'app' | 'sign-in' | 'sign-up';

export interface PageOptions {
  readonly title: string;
  readonly body: SafeHtml;
  /** Signed-in user: shows their email and a sign-out button (needs `csrf`). */
  readonly user?: { readonly email: string };
  readonly csrf?: string;
  readonly lang?: string;
  /** Marks the current part in the navigation; default `portal` when signed in. */
  readonly section?: Section;
}

function navLink(href: string, label: string, current: boolean): SafeHtml {
  return current ? html`<a href="${href}" aria-current="page">${label}</a>` : html`<a href="${href}">${label}</a>`;
}

/** A whole HTML document: header with the navigation, the page, and the shared CSS and script. */
export function page(o: PageOptions): string {
  const section = o.section ?? (o.user ? 'portal' : undefined);
  const links = [
    navLink('/', 'Home', section === 'home'),
    navLink('/portal', 'Portal', section === 'portal'),
    navLink('/app/', 'Phone app', section === 'app'),
    ...(o.user
      ? []
      : [navLink('/sign-in', 'Sign in', section === 'sign-in'), navLink('/sign-up', 'Sign up', section === 'sign-up')]),
  ];
  const userBar = o.user
    ? html`<div class="user">
        <span class="muted" id="user-email">${o.user.email}</span>
        <form method="post" action="/sign-out">
          <input type="hidden" name="_csrf" value="${o.csrf ?? ''}" />
          <button class="secondary small" type="submit">Sign out</button>
        </form>
      </div>`
    : '';
  return html`<!doctype html>
    <html lang="${o.lang ?? 'en'}">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${o.title} · Lanbridge</title>
        <link rel="stylesheet" href="${PORTAL_CSS_HREF}" />
        <script src="${PORTAL_JS_HREF}" defer></script>
      </head>
      <body>
        <header>
          <a class="brand" href="/">Lanbridge</a>
          <nav aria-label="Main" id="main-nav">${links}</nav>
          ${userBar}
        </header>
        <main>${o.body}</main>
      </body>
    </html>`.value;
}

/** Formats an instant for the page: the ISO form for the script, UTC text until it runs. */
export function time(d: Date | string | null | undefined): SafeHtml {
  if (!d) return html`—`;
  const date = new Date(d);
  if (Number.isNaN(date.getTime())) return html`—`;
  const iso = date.toISOString();
  const text = iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  return html`<time datetime="${iso}">${text}</time>`;
}

/**
 * Pages load only same-origin styles and scripts (no inline ones); nothing may frame them.
 * Shared by every HTML page of the broker.
 */
export const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/** Sends an HTML page; pages never go to shared caches and never get framed. */
export function sendPage(res: Response, status: number, document: string): void {
  res
    .status(status)
    .set({
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Frame-Options': 'DENY',
      'Content-Security-Policy': PAGE_CSP,
      'Referrer-Policy': 'no-referrer',
    })
    .send(document);
}
