import { generateKeyPairSync } from 'node:crypto';
import { okpThumbprintAsync } from './index';
import { okpPublicJwk, okpThumbprint, okpThumbprintInput } from './node';

describe('RFC 7638 thumbprint of OKP keys', () => {
  it('gives the thumbprint of the RFC 8037 Appendix A.3 example key', async () => {
    const jwk = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' } as const;
    expect(okpThumbprintInput(jwk)).toBe(
      '{"crv":"Ed25519","kty":"OKP","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}',
    );
    expect(okpThumbprint(jwk)).toBe('kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
    expect(await okpThumbprintAsync(jwk)).toBe('kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
  });

  it('agrees with jose for Ed25519 and X25519 keys, from the private or the public half', async () => {
    for (const type of ['ed25519', 'x25519'] as const) {
      const { privateKey, publicKey } = generateKeyPairSync(type as 'ed25519');
      const fromPrivate = okpPublicJwk(privateKey);
      const fromPublic = okpPublicJwk(publicKey);
      expect(fromPrivate).toEqual(fromPublic);
      if (!fromPublic) throw new Error('no JWK');
      expect(fromPublic.crv).toBe(type === 'ed25519' ? 'Ed25519' : 'X25519');
      expect(okpThumbprint(fromPublic)).toBe(await okpThumbprintAsync(fromPublic));
    }
  });

  it('has no OKP members for other key types', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(okpPublicJwk(publicKey)).toBeUndefined();
  });
});
