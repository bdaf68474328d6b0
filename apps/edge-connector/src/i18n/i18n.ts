import { en, type MessageKey, type Messages } from './en';
import { es } from './es';
import { zh } from './zh';

export const LANGUAGES = ['en', 'es', 'zh'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Each language's own name, for the picker. */
export const LANGUAGE_NAMES: { readonly [L in Language]: string } = { en: 'English', es: 'Español', zh: '简体中文' };

export const CATALOGUES: { readonly [L in Language]: Messages } = { en, es, zh };

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/** Best match for an Accept-Language header (RFC 9110 §12.5.4 weights); English otherwise. */
export function negotiateLanguage(header: string | undefined): Language {
  if (!header) return 'en';
  const ranked = header
    .split(',')
    .map((part, index) => {
      const [tag, ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)).find((m) => m !== null);
      return { primary: tag.split('-')[0], q: q ? Number(q[1]) : 1, index };
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const r of ranked) if (isLanguage(r.primary)) return r.primary;
  return 'en';
}

export type Translate = (key: MessageKey, params?: Readonly<Record<string, string>>) => string;

/** A translator for `lang`; `{name}` placeholders are replaced from `params`. */
export function translator(lang: Language): Translate {
  const catalogue = CATALOGUES[lang];
  return (key, params) => catalogue[key].replace(/\{(\w+)\}/g, (whole, name: string) => params?.[name] ?? whole);
}

export type { MessageKey, Messages };
