import { esc } from '../web/layout';
import { formatInstant } from '../web/time-zone';

/** One account mail: a greeting, what it is about, one button (the link), when the link expires. */
export interface MailContent {
  readonly subject: string;
  /** First words, e.g. "Hello Ines,"; omitted when we do not know the name. */
  readonly greeting?: string;
  readonly paragraphs: readonly string[];
  readonly action: { readonly label: string; readonly url: string };
  readonly expiresAt: Date;
  /** The reader's IANA zone when the request came from a browser that told us; else UTC. */
  readonly timeZone: string | undefined;
  /** Last line: why they got this mail, what to do when it was not them. */
  readonly footnote: string;
}

export interface RenderedMail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** When the link stops working, in the reader's zone, with UTC beside it when that differs. */
export function expiryLine(expiresAt: Date, timeZone: string | undefined): string {
  const local = formatInstant(expiresAt, timeZone);
  const utc = formatInstant(expiresAt, 'UTC');
  return local === utc ? `The link works until ${local}.` : `The link works until ${local} (${utc}).`;
}

/**
 * Both parts of an account mail. The HTML part uses tables and inline styles only, which is
 * what mail clients render; the text part carries the same words and the bare link.
 */
export function renderMail(m: MailContent): RenderedMail {
  const expiry = expiryLine(m.expiresAt, m.timeZone);
  const text = [
    ...(m.greeting ? [m.greeting, ''] : []),
    ...m.paragraphs.flatMap((p) => [p, '']),
    `${m.action.label}:`,
    m.action.url,
    '',
    expiry,
    '',
    m.footnote,
    '',
    '-- ',
    'Lanbridge',
    '',
  ].join('\n');
  const p = (s: string): string =>
    `<p style="margin:0 0 16px;font-size:16px;line-height:1.5;color:#1b1f24">${esc(s)}</p>`;
  const html = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(m.subject)}</title></head>
<body style="margin:0;padding:0;background:#f3f5f8;font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f3f5f8;padding:24px 12px">
<tr><td align="center">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:560px;background:#ffffff;border:1px solid #d6dae0;border-radius:10px">
<tr><td style="padding:20px 28px;border-bottom:1px solid #d6dae0;font-size:18px;font-weight:700;color:#1b1f24">Lanbridge</td></tr>
<tr><td style="padding:28px">
${m.greeting ? p(m.greeting) : ''}
${m.paragraphs.map(p).join('\n')}
<table role="presentation" cellpadding="0" cellspacing="0" style="margin:8px 0 24px"><tr><td style="border-radius:6px;background:#1a62d6">
<a href="${esc(m.action.url)}" style="display:inline-block;padding:12px 22px;color:#ffffff;font-size:16px;font-weight:600;text-decoration:none">${esc(m.action.label)}</a>
</td></tr></table>
<p style="margin:0 0 16px;font-size:14px;line-height:1.5;color:#56606b">${esc(expiry)}</p>
<p style="margin:0 0 16px;font-size:14px;line-height:1.5;color:#56606b">If the button does not work, copy this address into your browser:<br><a href="${esc(m.action.url)}" style="color:#1a5fcc;word-break:break-all">${esc(m.action.url)}</a></p>
<p style="margin:0;font-size:14px;line-height:1.5;color:#56606b">${esc(m.footnote)}</p>
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`;
  return { subject: m.subject, text, html };
}
