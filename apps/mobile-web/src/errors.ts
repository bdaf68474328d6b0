import type { TFunction } from 'i18next';
import { isLanbridgeError } from '@lanbridge/mobile-sdk';

/** A refusal in words a user can act on; the SDK's and the site's codes, never their raw text. */
export function describeError(t: TFunction, err: unknown): string {
  if (isLanbridgeError(err)) {
    const key = `errors.${err.code}`;
    const text = t(key, { defaultValue: '' });
    if (text) return text;
    if (err.status === 429) return t('errors.RATE_LIMITED');
    if (err.status !== undefined && err.status >= 500) return t('errors.server');
    return err.message;
  }
  if (err instanceof TypeError) return t('errors.NETWORK');
  return err instanceof Error ? err.message : String(err);
}
