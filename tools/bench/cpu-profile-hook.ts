/**
 * Profiling aid for `npm run bench:tunnel -- --serve` (DEVELOPMENT.md §6):
 *
 *   NODE_OPTIONS="--require ./dist/tools/bench/cpu-profile-hook.js" npm run bench:tunnel -- --serve
 *
 * Every process started that way (origin, broker, connector) starts the V8 CPU profiler on the
 * first SIGUSR2 and writes `<script>-<pid>.cpuprofile` into CPU_PROFILE_DIR (default the OS temp
 * directory) on the second. Sampling interval 100 µs.
 */
import fs from 'node:fs';
import { Session } from 'node:inspector';
import os from 'node:os';
import path from 'node:path';

const session = new Session();
session.connect();
let running = false;

process.on('SIGUSR2', () => {
  if (!running) {
    running = true;
    session.post('Profiler.enable', () =>
      session.post('Profiler.setSamplingInterval', { interval: 100 }, () => session.post('Profiler.start')),
    );
    return;
  }
  running = false;
  session.post('Profiler.stop', (err, result) => {
    if (err) {
      process.stderr.write(`cpu-profile-hook: ${err.message}\n`);
      return;
    }
    const name = path.basename(process.argv[1] ?? 'node', '.js');
    const file = path.join(process.env.CPU_PROFILE_DIR ?? os.tmpdir(), `${name}-${process.pid}.cpuprofile`);
    fs.writeFileSync(file, JSON.stringify(result.profile));
    process.stderr.write(`cpu-profile-hook: wrote ${file}\n`);
  });
});
