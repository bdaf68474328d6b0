import { expiryLine, renderMail } from './mail-templates';

describe('account mail templates', () => {
  const at = new Date('2026-12-08T01:30:00Z');

  it('gives the expiry in the reader’s zone with UTC beside it, or UTC alone', () => {
    expect(expiryLine(at, 'Asia/Singapore')).toBe(
      'The link works until 8 Dec 2026, 09:30 GMT+8 (8 Dec 2026, 01:30 UTC).',
    );
    expect(expiryLine(at, undefined)).toBe('The link works until 8 Dec 2026, 01:30 UTC.');
  });

  it('renders the same words as text and as escaped HTML with the link as a button', () => {
    const m = renderMail({
      subject: 'Join <Acme>',
      greeting: 'Hello Ines,',
      paragraphs: ['You were invited to <Acme> & co.'],
      action: { label: 'Join', url: 'https://broker.example.com/invitations/accept?token=a&b' },
      expiresAt: at,
      timeZone: 'Europe/Paris',
      footnote: 'Ignore it otherwise.',
    });
    expect(m.text).toContain('You were invited to <Acme> & co.');
    expect(m.text).toContain('https://broker.example.com/invitations/accept?token=a&b');
    expect(m.text).toContain('8 Dec 2026, 02:30 CET');
    expect(m.html).toContain('You were invited to &lt;Acme&gt; &amp; co.');
    expect(m.html).toContain('href="https://broker.example.com/invitations/accept?token=a&amp;b"');
    expect(m.html).not.toContain('<Acme>');
  });
});
