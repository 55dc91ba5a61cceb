/**
 * A pino logger that writes its JSON lines into an array, for tests that check what the server
 * logs. (Under src/test/, which the build excludes.)
 */

import { type Logger, pino } from 'pino';

/** A logger at level `debug` whose lines (JSON text) are pushed to `lines`. */
export function captureLogger(lines: string[]): Logger {
  return pino(
    { level: 'debug' },
    {
      write(line: string) {
        lines.push(line);
      },
    },
  );
}
