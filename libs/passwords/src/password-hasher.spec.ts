import { PasswordHasher } from './password-hasher';

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher();

  it('accepts the password a hash was made from and refuses another', async () => {
    const stored = await hasher.hash('correct horse battery staple');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    await expect(hasher.verify(stored, 'correct horse battery staple')).resolves.toBe(true);
    await expect(hasher.verify(stored, 'Correct horse battery staple')).resolves.toBe(false);
  });

  it("refuses any password, the decoy's included, when there is no stored hash", async () => {
    await expect(hasher.verify(undefined, 'not a real password')).resolves.toBe(false);
    await expect(hasher.verify(null, 'anything')).resolves.toBe(false);
  });

  it('refuses a stored value that is not a hash instead of throwing', async () => {
    await expect(hasher.verify('plain-text', 'plain-text')).resolves.toBe(false);
  });
});
