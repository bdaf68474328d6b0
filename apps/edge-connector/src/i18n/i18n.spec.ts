import { CATALOGUES, LANGUAGES, negotiateLanguage, translator } from './i18n';

const placeholders = (s: string): string[] => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('connector i18n', () => {
  const reference = CATALOGUES.en;

  it.each(LANGUAGES)('%s has every key of the English catalogue, non-empty, with the same placeholders', (lang) => {
    const catalogue = CATALOGUES[lang];
    expect(Object.keys(catalogue).sort()).toEqual(Object.keys(reference).sort());
    for (const [key, text] of Object.entries(reference)) {
      const translated = catalogue[key as keyof typeof reference];
      expect(translated.trim()).not.toBe('');
      expect(placeholders(translated)).toEqual(placeholders(text));
    }
  });

  it('picks the best supported language from Accept-Language', () => {
    expect(negotiateLanguage(undefined)).toBe('en');
    expect(negotiateLanguage('es-ES,es;q=0.9,en;q=0.8')).toBe('es');
    expect(negotiateLanguage('zh-CN,zh;q=0.9')).toBe('zh');
    expect(negotiateLanguage('fr-FR, de;q=0.8, zh;q=0.5, es;q=0.6')).toBe('es');
    expect(negotiateLanguage('fr, de')).toBe('en');
    expect(negotiateLanguage('es;q=0, zh')).toBe('zh');
  });

  it('fills placeholders', () => {
    expect(translator('en')('done.intro', { org: 'Acme' })).toContain('Acme');
    expect(translator('zh')('bind.expires', { time: '10:00' })).toBe('代码将于 10:00 过期。');
  });
});
