/**
 * V8 settings for the broker process, applied before any of its code is optimised (imported
 * first by main.ts; tests start the broker in-process and keep V8's defaults).
 *
 * `--no-turbo-escape`: with escape analysis on, about half the broker processes started under
 * load fall into a state where every request's objects survive young-generation collections
 * (2.3 MB promoted per scavenge at 8,000 req/s instead of a few KB), scavenges take 10 ms instead
 * of 1.5 and the old generation needs a full collection every few seconds: about 25 µs more CPU
 * per proxied request. The state is decided early and lasts for the life of the process; without
 * escape analysis it did not appear in 11 measured starts under small requests. Its cause was
 * found later: the session's stream Map (libs/tunnel-protocol/src/stream-table.ts), now replaced.
 * With that fix, 4 starts with escape analysis back on showed no such state either (before or
 * after large downloads) and no difference in CPU per request; the flag stays until more starts
 * are measured (DEVELOPMENT.md §6).
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--no-turbo-escape');
