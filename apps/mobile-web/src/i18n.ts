import i18n from 'i18next';
import LanguageDetector from 'i18next-browser-languagedetector';
import { initReactI18next } from 'react-i18next';
import en from './locales/en.json';
import es from './locales/es.json';
import zhCN from './locales/zh-CN.json';

export const LANGUAGES = [
  { code: 'en', name: 'English' },
  { code: 'es', name: 'Español' },
  { code: 'zh-CN', name: '简体中文' },
] as const;

const STORAGE_KEY = 'lanbridge.lang';

/** The phone's language (navigator.languages) unless the user picked one in Me. */
export function initI18n(): void {
  void i18n
    .use(LanguageDetector)
    .use(initReactI18next)
    .init({
      resources: { en: { translation: en }, es: { translation: es }, 'zh-CN': { translation: zhCN } },
      fallbackLng: { zh: ['zh-CN'], default: ['en'] },
      supportedLngs: ['en', 'es', 'zh-CN'],
      nonExplicitSupportedLngs: false,
      load: 'currentOnly',
      detection: { order: ['localStorage', 'navigator'], lookupLocalStorage: STORAGE_KEY, caches: [] },
      interpolation: { escapeValue: false },
      returnEmptyString: false,
    });
  const apply = (lng: string) => {
    document.documentElement.lang = lng;
  };
  apply(i18n.resolvedLanguage ?? 'en');
  i18n.on('languageChanged', () => apply(i18n.resolvedLanguage ?? 'en'));
}

export function setLanguage(code: string): void {
  localStorage.setItem(STORAGE_KEY, code);
  void i18n.changeLanguage(code);
}
