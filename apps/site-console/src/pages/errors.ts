import type { TFunction } from 'i18next';
import { ApiError } from '../api';

/** A message for an API refusal: the translated text of its code when we have one, else the server's. */
export function errorText(t: TFunction, err: unknown): string {
  if (err instanceof ApiError) {
    const key = `errors.${err.code}`;
    const text = t(key);
    return text !== key ? text : err.message;
  }
  return t('errors.network');
}
