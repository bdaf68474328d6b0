import type { Response } from 'express';

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

export const PAGE_CSS = `
:root{color-scheme:light dark;--fg:#1b1f24;--bg:#f6f7f9;--card:#fff;--muted:#5b6470;--accent:#1f6feb;--bad:#c62828;--ok:#2e7d32;--line:#d6dae0}
@media (prefers-color-scheme:dark){:root{--fg:#e6e8eb;--bg:#0f1215;--card:#181c21;--muted:#9aa4af;--line:#2c333b}}
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;align-items:center;justify-content:space-between;padding:.75rem 1.25rem;background:var(--card);border-bottom:1px solid var(--line)}
header a.brand{font-weight:700;color:var(--fg);text-decoration:none}header form{display:inline;margin:0}
main{max-width:44rem;margin:2rem auto;padding:0 1rem}.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:1.5rem;margin-bottom:1rem}
h1{font-size:1.5rem;margin:0 0 1rem}label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input,select{width:100%;padding:.55rem .7rem;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg);font:inherit}
button,.button{display:inline-block;margin-top:1rem;padding:.55rem 1.1rem;border:0;border-radius:6px;background:var(--accent);color:#fff;font:inherit;cursor:pointer;text-decoration:none}
button.secondary{background:transparent;color:var(--fg);border:1px solid var(--line)}button.danger{background:var(--bad)}
.error{color:var(--bad);font-weight:600}.ok{color:var(--ok);font-weight:600}.muted{color:var(--muted)}
table{width:100%;border-collapse:collapse}th,td{text-align:left;padding:.4rem;border-bottom:1px solid var(--line)}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace}.code{font-size:1.6rem;letter-spacing:.15em}
`;

export interface PageOptions {
  readonly title: string;
  readonly body: SafeHtml;
  /** Signed-in user: shows their email and a sign-out button (needs `csrf`). */
  readonly user?: { readonly email: string };
  readonly csrf?: string;
  readonly lang?: string;
}

/** A whole HTML document with the shared header and CSS. */
export function page(o: PageOptions): string {
  const userBar = o.user
    ? html`<span class="muted">${o.user.email}</span>
        <form method="post" action="/sign-out">
          <input type="hidden" name="_csrf" value="${o.csrf ?? ''}" />
          <button class="secondary" type="submit" style="margin:0 0 0 .75rem">Sign out</button>
        </form>`
    : html`<a href="/sign-in">Sign in</a>`;
  return html`<!doctype html>
    <html lang="${o.lang ?? 'en'}">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${o.title} · Lanbridge</title>
        <style>
          ${raw(PAGE_CSS)}
        </style>
      </head>
      <body>
        <header>
          <a class="brand" href="/portal">Lanbridge</a>
          <div>${userBar}</div>
        </header>
        <main>${o.body}</main>
      </body>
    </html>`.value;
}

/** Sends an HTML page; pages never go to shared caches and never get framed. */
export function sendPage(res: Response, status: number, document: string): void {
  res
    .status(status)
    .set({
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Frame-Options': 'DENY',
      'Content-Security-Policy':
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
      'Referrer-Policy': 'no-referrer',
    })
    .send(document);
}
