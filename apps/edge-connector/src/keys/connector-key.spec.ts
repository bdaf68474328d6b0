import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  ConnectorKeyError,
  ConnectorKeyErrorCode,
  generateConnectorKey,
  jwkThumbprint,
  loadConnectorKey,
  publicKeyPem,
} from './connector-key';

describe('connector key file', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanbridge-key-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes a PKCS#8 PEM key with mode 0600 in a 0700 directory', () => {
    const file = path.join(dir, 'nested', 'connector.key');
    const info = generateConnectorKey(file);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(fs.readFileSync(file, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(info.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(info.keyFile).toBe(file);

    const key = loadConnectorKey(file);
    expect(key.asymmetricKeyType).toBe('ed25519');
    expect(publicKeyPem(key)).toBe(info.publicKeyPem);
    const msg = Buffer.from('challenge');
    expect(verify(null, msg, info.publicKeyPem, sign(null, msg, key))).toBe(true);
  });

  it('refuses to overwrite an existing key without force', () => {
    const file = path.join(dir, 'connector.key');
    const first = generateConnectorKey(file);
    expect(() => generateConnectorKey(file)).toThrow(
      expect.objectContaining({ code: ConnectorKeyErrorCode.EXISTS }) as Error,
    );
    const second = generateConnectorKey(file, { force: true });
    expect(second.thumbprint).not.toBe(first.thumbprint);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('refuses a group/world readable key file and names the fix', () => {
    const file = path.join(dir, 'connector.key');
    generateConnectorKey(file);
    fs.chmodSync(file, 0o644);
    let caught: unknown;
    try {
      loadConnectorKey(file);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConnectorKeyError);
    const e = caught as ConnectorKeyError;
    expect(e.code).toBe(ConnectorKeyErrorCode.INSECURE);
    expect(e.message).toContain(file);
    expect(e.message).toContain(`chmod 600 ${file}`);
    expect(e.message).toContain('0644');
  });

  it('reports a missing file and a non-Ed25519 key with codes', () => {
    expect(() => loadConnectorKey(path.join(dir, 'absent.key'))).toThrow(
      expect.objectContaining({ code: ConnectorKeyErrorCode.MISSING }) as Error,
    );
    const rsa = path.join(dir, 'rsa.key');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    fs.writeFileSync(rsa, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    expect(() => loadConnectorKey(rsa)).toThrow(
      expect.objectContaining({ code: ConnectorKeyErrorCode.INVALID }) as Error,
    );
  });

  it('computes the RFC 7638 thumbprint', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const jwk = publicKey.export({ format: 'jwk' });
    const expected = createHash('sha256').update(`{"crv":"Ed25519","kty":"OKP","x":"${jwk.x}"}`).digest('base64url');
    expect(jwkThumbprint(publicKey)).toBe(expected);
  });
});
