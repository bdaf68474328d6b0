import { Writable } from 'node:stream';
import { createLogger } from './logger';

function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { lines, stream };
}

describe('createLogger', () => {
  it('never writes secrets, tokens or keys', () => {
    const { lines, stream } = capture();
    const log = createLogger('t', {}, stream);
    log.info(
      { password: 'hunter2', user: { token: 'tok-123', privateKey: 'pk' }, headers: { authorization: 'Bearer x' } },
      'sign-in',
    );
    const out = lines.join('');
    expect(out).toContain('sign-in');
    expect(out).not.toMatch(/hunter2|tok-123|Bearer x|"pk"/);
    expect(out).toContain('[redacted]');
  });

  it('never writes the broker cluster peer secret', () => {
    const { lines, stream } = capture();
    const log = createLogger('t', {}, stream);
    log.info(
      { headers: { 'x-lanbridge-peer': 'peer-secret-1' }, config: { peerSecret: 'peer-secret-2' } },
      'forwarded',
    );
    const out = lines.join('');
    expect(out).toContain('forwarded');
    expect(out).not.toMatch(/peer-secret-1|peer-secret-2/);
  });
});
