import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { wsTransport } from './ws';

describe('wsTransport', () => {
  let wss: WebSocketServer;
  let url: string;

  beforeAll(async () => {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
    // The server speaks first, as the broker does with HELLO: often in the same TCP read as
    // the 101 response, so before a client that waits for 'open' has wrapped its socket.
    wss.on('connection', (ws) => {
      ws.send(Buffer.from('hello-1'));
      ws.send(Buffer.from('hello-2'));
    });
  });
  afterAll(async () => {
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((r) => wss.close(() => r()));
  });

  it('keeps messages that arrive before a handler is set, in order', async () => {
    const ws = new WebSocket(url);
    const transport = wsTransport(ws);
    await once(ws, 'open');
    await new Promise((r) => setTimeout(r, 50)); // both messages are in by now
    const got: string[] = [];
    transport.onMessage((m) => got.push(m.toString()));
    expect(got).toEqual(['hello-1', 'hello-2']);
    transport.close(1000, 'done');
  });

  it('hands later messages straight to the handler', async () => {
    const ws = new WebSocket(url);
    const transport = wsTransport(ws);
    const got: string[] = [];
    transport.onMessage((m) => got.push(m.toString()));
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toEqual(['hello-1', 'hello-2']);
    transport.close(1000, 'done');
  });
});
