/**
 * The server's structured logger: pino, JSON lines. `createEventLogServer` takes any pino logger
 * (`logger` option); without one it writes warnings and errors to stderr.
 */

import { type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/**
 * A pino logger writing JSON lines to stderr (synchronously, so a line written just before the
 * process exits is not lost).
 *
 * @param level default `warn`; `eventlog serve` uses `info` (`--log-level`)
 * @example const logger = stderrLogger('debug'); // every request, with its id and duration
 */
export function stderrLogger(level: pino.LevelWithSilent = 'warn'): Logger {
  return pino(
    { level, base: { name: 'eventlog' }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: 2, sync: true }),
  );
}
