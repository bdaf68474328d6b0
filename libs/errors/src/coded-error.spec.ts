import { CodedError, pathOf } from './coded-error';

const STATUS = { SLOW_DOWN: 429, GONE: 410 } as const;
class ExampleError extends CodedError<keyof typeof STATUS> {
  get status(): number {
    return STATUS[this.code];
  }
}

describe('CodedError', () => {
  it('answers with the status of its code and tells the client when to retry', () => {
    const err = new ExampleError('SLOW_DOWN', 'too many attempts', { retryAfterS: 30 });
    expect(err).toBeInstanceOf(CodedError);
    expect(err.name).toBe('ExampleError');
    expect(err.status).toBe(429);
    expect(err.responseHeaders()).toEqual({ 'Retry-After': '30' });
    expect(new ExampleError('GONE', 'revoked').responseHeaders()).toEqual({});
  });

  it('keeps the cause for the log without putting it in the message', () => {
    const cause = new Error('connection refused');
    const err = new ExampleError('GONE', 'revoked', { cause });
    expect(err.cause).toBe(cause);
    expect(err.message).toBe('revoked');
  });
});

describe('pathOf', () => {
  it('drops the query string a log line must not carry', () => {
    expect(pathOf('/oauth/authorize?code=secret&state=x')).toBe('/oauth/authorize');
    expect(pathOf('/api/v1/me')).toBe('/api/v1/me');
    expect(pathOf(undefined)).toBe('');
  });
});
