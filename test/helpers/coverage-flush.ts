// Preloaded (NODE_OPTIONS --import) into kumo-ts children while a coverage run collects V8
// coverage (NODE_V8_COVERAGE, set by c8): a process killed with SIGKILL never writes its
// coverage, so most servers the tests SIGKILL counted as never run. SIGUSR2 writes it now; the
// marker line tells the parent it may kill. Not loaded at all outside a coverage run.
import { takeCoverage } from 'node:v8';

export const FLUSHED_MARKER = 'kumo-ts-test: coverage flushed';

if (process.env.NODE_V8_COVERAGE) {
  process.on('SIGUSR2', () => {
    takeCoverage();
    process.stderr.write(`${FLUSHED_MARKER}\n`);
  });
}
