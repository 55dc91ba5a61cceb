/**
 * `eventlog append`: appends one event given by flags and/or a JSON object.
 */

import type { Command } from 'commander';
import { readJsonObject } from '../json-input.js';
import { printResult, unwrap, usageError } from '../output.js';
import { targetOf, targetOptions, withCheckedTarget } from '../run-command.js';
import type { TargetOptions } from '../target.js';

interface AppendOptions extends TargetOptions {
  type?: string;
  stream?: string;
  payload?: string;
  metadata?: string;
  eventId?: string;
  timestamp?: string;
  expectedVersion?: string;
  create?: boolean;
}

/** `--expected-version`: a number, or one of the named versions. */
function expectedVersionOf(value: string): number | string {
  return /^\d+$/.test(value) ? Number(value) : value;
}

/** Registers `append`. */
export function appendCommand(program: Command): void {
  targetOptions(
    program
      .command('append <instance> [event-json]')
      .description(
        'append one event; event-json (inline, @file or -) holds event fields like {"eventType":"login","payload":{}}, flags add to it',
      )
      .option('-t, --type <eventType>', 'the event type')
      .option('-s, --stream <streamId>', 'the stream (default "default")')
      .option('-p, --payload <json>', 'the payload, a JSON object (inline, @file or -)')
      .option('-m, --metadata <json>', 'the metadata, a JSON object (inline, @file or -)')
      .option('--event-id <id>', 'an idempotency key: appending it again returns the stored event')
      .option('--timestamp <time>', 'ISO 8601 with Z or an offset, or epoch milliseconds')
      .option('--expected-version <v>', "a number, 'no_stream', 'any' or 'stream_exists'")
      .option('--create', 'create the instance if it does not exist'),
  ).action((instance: string, eventJson: string | undefined, options: AppendOptions) =>
    withCheckedTarget(
      targetOf(options),
      async () => {
        const params: Record<string, unknown> =
          eventJson === undefined ? {} : await readJsonObject(eventJson, 'The event JSON');
        if (options.type !== undefined) params.eventType = options.type;
        if (options.stream !== undefined) params.streamId = options.stream;
        if (options.payload !== undefined)
          params.payload = await readJsonObject(options.payload, '--payload');
        if (options.metadata !== undefined)
          params.metadata = await readJsonObject(options.metadata, '--metadata');
        if (options.eventId !== undefined) params.eventId = options.eventId;
        if (options.timestamp !== undefined) {
          params.timestamp = /^\d+$/.test(options.timestamp) ? Number(options.timestamp) : options.timestamp;
        }
        if (options.expectedVersion !== undefined)
          params.expectedVersion = expectedVersionOf(options.expectedVersion);
        if (options.create) params.autoCreateInstance = true;
        if (params.eventType === undefined && params.event_type === undefined) {
          throw usageError(
            'append needs an event type: --type <eventType>, or "eventType" in the event JSON.',
          );
        }
        params.instanceId = instance;
        return params;
      },
      async (params, { eventLog }) => {
        await printResult(unwrap(await eventLog.appendEvent(params as never)));
      },
    ),
  );
}
