import http from 'node:http';

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One request; resolves with the whole response. `agent: false` unless one is given. */
export function request(
  url: string,
  opts: {
    method?: string;
    headers?: http.OutgoingHttpHeaders;
    body?: Buffer;
    agent?: http.Agent | false;
    timeoutMs?: number;
    /** Source address, e.g. 127.0.0.2 to be another client IP on loopback. */
    localAddress?: string;
  } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: opts.method ?? 'GET',
        headers: opts.headers,
        agent: opts.agent ?? false,
        timeout: opts.timeoutMs ?? 30000,
        localAddress: opts.localAddress,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${opts.method ?? 'GET'} ${url}`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

export const json = <T = Record<string, unknown>>(r: HttpResult): T => JSON.parse(r.body.toString('utf8')) as T;
