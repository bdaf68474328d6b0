import pino, { type Logger, type LoggerOptions } from 'pino';
import { serializeError } from './error-serializer';

export type { Logger } from 'pino';

/**
 * Paths pino blanks out before a line is written. Secrets, tokens, keys and personal
 * data must never reach a log; add a path here rather than scrubbing at call sites.
 */
export const REDACT_PATHS: readonly string[] = [
  'password',
  '*.password',
  'newPassword',
  '*.newPassword',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'refreshToken',
  '*.refreshToken',
  'secret',
  '*.secret',
  'privateKey',
  '*.privateKey',
  // Sealed credentials (a login JWE) and Web Push subscription keys (p256dh, auth).
  'jwe',
  '*.jwe',
  'keys',
  '*.keys',
  'signature',
  '*.signature',
  'authorization',
  '*.authorization',
  'cookie',
  '*.cookie',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  'req.headers.authorization',
  'req.headers.cookie',
  // The broker cluster's peer secret (apps/cloud-broker/src/ingress/peer-forward.ts).
  'headers["x-lanbridge-peer"]',
  'req.headers["x-lanbridge-peer"]',
  'peerSecret',
  '*.peerSecret',
  'res.headers["set-cookie"]',
  'idNumber',
  '*.idNumber',
  'phone',
  '*.phone',
];

export interface LoggerConfig {
  readonly level?: string;
  /** Pretty, human-readable lines (development only). */
  readonly pretty?: boolean;
}

export function createLogger(name: string, config: LoggerConfig = {}, destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = {
    name,
    level: config.level ?? 'info',
    redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
    // Errors are serialized by us: a database error's SQL, parameters and detail never reach a line.
    serializers: { err: serializeError, error: serializeError },
    timestamp: pino.stdTimeFunctions.isoTime,
    base: { pid: process.pid },
  };
  if (config.pretty && !destination) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true } } });
  }
  return destination ? pino(options, destination) : pino(options);
}
