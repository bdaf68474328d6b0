import { createHash } from 'node:crypto';

/**
 * The stylesheet and the one script of the broker's pages. They are served as files (the
 * pages' CSP admits no inline style or script) and kept here as text so the build needs no
 * asset step; the URL carries a hash of the content, so a new version is never read from a
 * stale cache.
 */
export const PORTAL_CSS = `
:root{color-scheme:light dark;--fg:#1b1f24;--bg:#f3f5f8;--card:#fff;--muted:#56606b;--accent:#1a62d6;--accent-fg:#fff;--link:#1a5fcc;--bad:#b3261e;--bad-text:#b3261e;--ok:#2e7d32;--ok-text:#1e6b24;--line:#d6dae0;--chip:#eef2f7}
@media (prefers-color-scheme:dark){:root{--fg:#e6e8eb;--bg:#0f1215;--card:#181c21;--muted:#a3adb8;--link:#7cb4ff;--bad-text:#ff8a80;--ok-text:#81c784;--line:#2c333b;--chip:#222830}}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--link)}
header{display:flex;flex-wrap:wrap;align-items:center;gap:.25rem 1rem;padding:.6rem 1rem;background:var(--card);border-bottom:1px solid var(--line)}
header a.brand{font-weight:700;font-size:1.1rem;color:var(--fg);text-decoration:none;margin-right:.5rem}
header nav{display:flex;flex-wrap:wrap;gap:.1rem .9rem;flex:1}
header nav a{text-decoration:none;padding:.2rem 0;border-bottom:2px solid transparent}
header nav a[aria-current=page]{color:var(--fg);border-bottom-color:var(--accent);font-weight:600}
header .user{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem;min-width:0}
header .user span{overflow-wrap:anywhere}
header form{display:inline;margin:0}
main{max-width:56rem;margin:1.5rem auto;padding:0 1rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:1.25rem;margin-bottom:1rem;min-width:0}
h1{font-size:1.5rem;margin:0 0 1rem}h2{font-size:1.2rem;margin:0 0 .75rem}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input,select{width:100%;padding:.55rem .7rem;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg);font:inherit}
button,.button{display:inline-block;margin-top:1rem;padding:.55rem 1.1rem;border:1px solid transparent;border-radius:6px;background:var(--accent);color:var(--accent-fg);font:inherit;cursor:pointer;text-decoration:none}
button.secondary,.button.secondary{background:transparent;color:var(--fg);border-color:var(--line)}
button.danger,.button.danger{background:var(--bad);color:#fff}
button.small{margin:0;padding:.3rem .7rem;font-size:.9rem}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin-top:1rem}.actions form{margin:0}.actions button,.actions .button{margin-top:0}
.error{color:var(--bad-text);font-weight:600}.ok{color:var(--ok-text);font-weight:600}.muted{color:var(--muted)}
.notice{background:var(--chip);border-left:4px solid var(--ok);padding:.6rem .9rem;border-radius:6px}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.92em}
.code{font-size:1.6rem;letter-spacing:.15em;overflow-wrap:anywhere}
table{width:100%;border-collapse:collapse}
th,td{text-align:left;vertical-align:top;padding:.45rem .4rem;border-bottom:1px solid var(--line);overflow-wrap:anywhere}
th{font-weight:600}
table.details th{width:11rem;color:var(--muted);font-weight:500}
.tabs{display:flex;flex-wrap:wrap;gap:.25rem;margin:0 0 1rem;padding:0;list-style:none}
.tabs a,.tabs span{display:block;padding:.35rem .8rem;border-radius:999px;text-decoration:none;background:var(--chip)}
.tabs [aria-current=page]{background:var(--accent);color:var(--accent-fg);font-weight:600}
.crumbs{margin:0 0 .5rem;color:var(--muted)}
.badge{display:inline-block;font-size:.85rem;padding:.05rem .55rem;border-radius:999px;background:var(--chip);font-weight:600;vertical-align:middle}
.badge.ok{color:var(--ok-text)}.badge.error{color:var(--bad-text)}
.qr{max-width:320px}.qr svg{width:100%;height:auto;background:#fff}
.hero{padding:2rem 1.25rem}.hero h1{font-size:2rem}.hero p{font-size:1.1rem;max-width:40rem}
.features{display:grid;grid-template-columns:repeat(auto-fit,minmax(14rem,1fr));gap:1rem;margin-bottom:1rem}
.features .card{margin:0}
details summary{cursor:pointer;color:var(--link)}
@media (max-width:40rem){
main{margin-top:1rem;padding:0 .5rem}.card{padding:1rem}.hero{padding:1.25rem 1rem}.hero h1{font-size:1.6rem}
table.stack thead{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:100%}
table.stack tr{border-bottom:1px solid var(--line);padding:.4rem 0}
table.stack td{border:0;padding:.1rem 0}
table.stack td[data-label]::before{content:attr(data-label) ": ";color:var(--muted);font-weight:500}
table.details th,table.details td{display:block;width:100%;border:0;padding:.1rem 0}
table.details tr{display:block;border-bottom:1px solid var(--line);padding:.35rem 0}
}
`;

/**
 * Shows every `<time datetime>` in the reader's own time zone and language, and remembers the
 * zone in the `lb_tz` cookie so that mail the broker sends on this browser's behalf (a password
 * reset, an invitation) gives times in that zone too.
 */
export const PORTAL_JS = `(function () {
  'use strict';
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { zone = undefined; }
  if (zone && /^[A-Za-z0-9_+\\/-]{1,64}$/.test(zone)) {
    var want = 'lb_tz=' + encodeURIComponent(zone);
    if (document.cookie.split('; ').indexOf(want) < 0) {
      document.cookie = want + '; path=/; max-age=31536000; samesite=lax' + (location.protocol === 'https:' ? '; secure' : '');
    }
  }
  var fmt = new Intl.DateTimeFormat(undefined, {
    year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short'
  });
  var nodes = document.querySelectorAll('time[datetime]');
  for (var i = 0; i < nodes.length; i++) {
    var t = nodes[i];
    var d = new Date(t.getAttribute('datetime'));
    if (isNaN(d.getTime())) continue;
    t.title = t.textContent;
    t.textContent = fmt.format(d);
    t.setAttribute('data-local', '');
  }
})();
`;

const hash = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 12);

export const PORTAL_CSS_HREF = `/assets/portal.${hash(PORTAL_CSS)}.css`;
export const PORTAL_JS_HREF = `/assets/portal.${hash(PORTAL_JS)}.js`;
