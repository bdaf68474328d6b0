/**
 * Error codes of the terminal simulator. Every `'error'` event and every thrown error carries
 * one; none of them stops the terminal (it retries after `ErrorDelay`) except `BAD_OPTIONS`
 * and `NOT_RUNNING`, which are caller mistakes.
 */
export const TerminalErrorCode = {
  /** Invalid constructor options (bad URL, door count outside 1–4, ...). */
  BAD_OPTIONS: 'TERMINAL_ERR_BAD_OPTIONS',
  /** An action was called while the terminal is stopped (powered off). */
  NOT_RUNNING: 'TERMINAL_ERR_NOT_RUNNING',
  /** An action named a door the terminal does not have. */
  BAD_DOOR: 'TERMINAL_ERR_BAD_DOOR',
  /** TCP connect failed or the connection broke (server down). Events stay queued. */
  SERVER_UNREACHABLE: 'TERMINAL_ERR_SERVER_UNREACHABLE',
  /** No complete answer within the request timeout. */
  TIMEOUT: 'TERMINAL_ERR_TIMEOUT',
  /** The server answered a status other than 200 (401 re-runs the handshake). */
  HTTP_STATUS: 'TERMINAL_ERR_HTTP_STATUS',
  /** `POST /iclock/registry` was refused (HTTP 406) or answered without `RegistryCode`. */
  REGISTRY_REFUSED: 'TERMINAL_ERR_REGISTRY_REFUSED',
  /** A reply the terminal could not use (handshake without a registry block after registering, ...). */
  BAD_REPLY: 'TERMINAL_ERR_BAD_REPLY',
  /** An upload was answered with something other than `OK` / `OK:<n>`; it will be re-sent. */
  UPLOAD_REJECTED: 'TERMINAL_ERR_UPLOAD_REJECTED',
  /** The upload queue was full; the oldest records were dropped. */
  QUEUE_OVERFLOW: 'TERMINAL_ERR_QUEUE_OVERFLOW',
  /** A response body exceeded the size bound. */
  REPLY_TOO_LARGE: 'TERMINAL_ERR_REPLY_TOO_LARGE',
} as const;
export type TerminalErrorCode = (typeof TerminalErrorCode)[keyof typeof TerminalErrorCode];

export class TerminalError extends Error {
  constructor(
    readonly code: TerminalErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TerminalError';
  }
}
