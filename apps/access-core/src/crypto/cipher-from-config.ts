import { createHash } from 'node:crypto';
import type { AccessCoreConfig } from '../config/access-core.config';
import { FieldCipher } from './field-cipher';

/**
 * Public, fixed key used when DATA_ENCRYPTION_KEY is absent outside production (the config
 * refuses that combination in production). Data sealed with it is NOT protected; rotating to a
 * real key later works because the dev key stays accepted through DATA_ENCRYPTION_OLD_KEYS.
 */
export const DEV_DATA_ENCRYPTION_KEY = createHash('sha256').update('lanbridge access-core development key').digest();

export function cipherFromConfig(config: AccessCoreConfig): FieldCipher {
  return new FieldCipher(config.DATA_ENCRYPTION_KEY ?? DEV_DATA_ENCRYPTION_KEY, config.DATA_ENCRYPTION_OLD_KEYS);
}
