import { Writable } from 'node:stream';
import { createLogger } from './logger';
import { NestPinoLogger } from './nest-logger';

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

describe('NestPinoLogger', () => {
  it("logs an Error that Nest reports with its stack and message, and Nest's route chatter below info", () => {
    const { lines, stream } = capture();
    const nest = new NestPinoLogger(createLogger('t', { level: 'debug' }, stream));
    nest.log('Mapped {/healthz, GET} route', 'RouterExplorer');
    nest.error(new Error('listen EADDRINUSE'), 'NestApplication');
    const [route, failure] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(route).toMatchObject({ level: 20, context: 'RouterExplorer', component: 'nest' });
    expect(failure).toMatchObject({ level: 50, context: 'NestApplication', msg: 'listen EADDRINUSE' });
    expect((failure.err as { stack: string }).stack).toContain('listen EADDRINUSE');
  });
});
