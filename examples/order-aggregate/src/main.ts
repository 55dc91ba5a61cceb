/**
 * An order, event-sourced: created, filled by 20 concurrent "add item" commands (each one rereads
 * and retries after losing a race, with jittered backoff), paid and shipped — with a snapshot
 * every 5 events, stored in the same backend, in the transaction of the append that is due one.
 *
 * `pnpm --filter order-aggregate start` runs it on the embedded SQLite default; set EVENTLOG_URL
 * for another store (`memory:`, `sqlite:<path>`, `postgres://…`).
 */

import { pathToFileURL } from 'node:url';
import {
  aggregateStream,
  type EventLog,
  handleCommand,
  SNAPSHOT_NAMESPACE,
  type SnapshotPolicy,
} from '@eventlog/core';
import { openEventLog } from 'eventlog';
import { type Order, type OrderCommand, type OrderEvents, orderDecider } from './order.js';

const INSTANCE = 'orders';
const ORDER = 'order-42';

/** Snapshot the order's state every 5 events. */
export const SNAPSHOTS: SnapshotPolicy<Order> = { every: 5 };

function command(log: EventLog<OrderEvents>, cmd: OrderCommand) {
  return handleCommand(log, {
    instance: INSTANCE,
    streamId: ORDER,
    decider: orderDecider,
    command: cmd,
    snapshot: SNAPSHOTS,
    autoCreateInstance: true,
  });
}

/**
 * Runs the example on `url` (default: `EVENTLOG_URL`, else `sqlite:./eventlog.db`) and returns the
 * final order; `print` receives each line of the report.
 */
export async function main(url?: string, print: (line: string) => void = console.log): Promise<Order> {
  const log = await openEventLog<OrderEvents>(url);
  try {
    // A clean slate, so the program can run again on the same store.
    if ((await log.getInstance(INSTANCE)).success) await log.store.deleteInstance(INSTANCE);

    await command(log, { type: 'create', orderId: ORDER, customer: 'Ada' });
    print(`created ${ORDER} for Ada`);

    const skus = ['apple', 'pear', 'plum', 'fig', 'kiwi'];
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        command(log, {
          type: 'addItem',
          sku: skus[i % skus.length] as string,
          quantity: 1 + (i % 3),
          unitPrice: 0.5 + (i % 5),
        }),
      ),
    );
    const versions = results.map((r) => r.version).sort((a, b) => a - b);
    print(
      `20 concurrent "add item" commands: ${results.length} succeeded, versions ${versions[0]}…${versions[versions.length - 1]} without gaps`,
    );

    const { state: beforePay } = await aggregateStream(log, {
      instance: INSTANCE,
      streamId: ORDER,
      ...orderDecider,
    });
    await command(log, { type: 'pay', amount: beforePay.total });
    const shipped = await command(log, { type: 'ship', carrier: 'DHL' });

    const snapshots = (await log.store.adapter.kv.list(SNAPSHOT_NAMESPACE)).filter((s) =>
      s.key.includes(ORDER),
    );
    const snapshotVersion = (snapshots[0]?.value as { version?: number } | undefined)?.version ?? 0;
    print(`snapshot stored at version ${snapshotVersion} (one every ${SNAPSHOTS.every} events)`);

    const rebuilt = await aggregateStream(log, {
      instance: INSTANCE,
      streamId: ORDER,
      ...orderDecider,
      snapshot: SNAPSHOTS,
    });
    if (JSON.stringify(rebuilt.state) !== JSON.stringify(shipped.state)) {
      throw new Error('The order rebuilt from its snapshot differs from the one handled.');
    }

    const order = shipped.state;
    print(
      `final state at version ${shipped.version}: ${order.status}, ${Object.keys(order.lines).length} lines, total ${order.total}`,
    );
    for (const [sku, line] of Object.entries(order.lines).sort(([a], [b]) => a.localeCompare(b))) {
      print(`  ${sku.padEnd(6)} × ${String(line.quantity).padStart(2)} @ ${line.unitPrice}`);
    }
    return order;
  } finally {
    await log.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
