import { AccountsError, AccountsErrorCode } from './accounts-error';

export const PASSWORD_MIN = 8;
/** ASVS asks that at least 64 be allowed; 256 leaves room for passphrases, the byte cap bounds hashing cost. */
export const PASSWORD_MAX = 256;
const PASSWORD_MAX_BYTES = 1024;

/** ASVS 6.2: length only, no composition rules, never truncated (argon2 hashes every byte). */
export function checkPasswordPolicy(password: string): void {
  const length = [...password].length;
  if (length < PASSWORD_MIN) {
    throw new AccountsError(
      AccountsErrorCode.PASSWORD_POLICY,
      `password must have at least ${PASSWORD_MIN} characters`,
    );
  }
  if (length > PASSWORD_MAX || Buffer.byteLength(password) > PASSWORD_MAX_BYTES) {
    throw new AccountsError(AccountsErrorCode.PASSWORD_POLICY, `password must have at most ${PASSWORD_MAX} characters`);
  }
}
