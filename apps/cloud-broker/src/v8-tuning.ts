/**
 * V8 settings for the broker process, applied before any of its code is optimised (imported
 * first by main.ts; tests start the broker in-process and keep V8's defaults).
 *
 * `--heap-growing-percent=100`: after each full collection the old generation may grow to twice
 * its live size before the next one (V8 otherwise picks 1.1–4x from its measured GC speed, and
 * picked about 1.25x for this process). V8 starts incremental marking as soon as the room left
 * under that limit is smaller than the young generation, which grows to 16 MB while a download
 * streams through: with a 36 MB live heap and a 45 MB limit the broker was marking all the time,
 * 4–5 full collections per 100 MiB download, 400–600 ms of CPU instead of 100–160 ms
 * (`--trace-gc --trace-incremental-marking`: "Start (allocation limit): 36MB / 45MB / 9MB").
 * Small requests measured the same with and without it. The cost is memory: up to twice the
 * live old generation between collections (after load and three downloads, 187 MB of RSS
 * against 171 MB; about 1 KiB more per idle connector).
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--heap-growing-percent=100');
