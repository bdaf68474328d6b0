import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

export interface ErrorBody {
  readonly code: string;
  readonly message: string;
  readonly requestId?: string;
}

/** JSON error on a normal response (the ingress hot path, outside express). */
export function sendJsonError(res: ServerResponse, status: number, body: ErrorBody, extraHeaders?: string[]): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const json = JSON.stringify(body);
  const headers = [
    'Content-Type',
    'application/json; charset=utf-8',
    'Content-Length',
    String(Buffer.byteLength(json)),
  ];
  if (extraHeaders) headers.push(...extraHeaders);
  res.writeHead(status, headers);
  res.end(json);
}

/** JSON error written straight onto a socket that asked for an upgrade; the socket then ends. */
export function writeSocketError(socket: Duplex, status: number, body: ErrorBody, extraHeaders: string[] = []): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const json = JSON.stringify(body);
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n`;
  head += 'Content-Type: application/json; charset=utf-8\r\n';
  head += `Content-Length: ${Buffer.byteLength(json)}\r\n`;
  for (let i = 0; i + 1 < extraHeaders.length; i += 2) head += `${extraHeaders[i]}: ${extraHeaders[i + 1]}\r\n`;
  head += 'Connection: close\r\n\r\n';
  socket.end(head + json);
}
