/**
 * The API document's Quick Start and its use-case snippets, as one program. It runs on the embedded
 * SQLite default (`./quick-start.db`); set EVENTLOG_URL to try another store, for example
 * `EVENTLOG_URL=memory: pnpm start` or `EVENTLOG_URL=postgres://… pnpm start`.
 */
import type { Envelope } from '@eventlog/core';
import { openEventLog } from 'eventlog';

const url = process.env.EVENTLOG_URL ?? 'sqlite:./quick-start.db';
const log = await openEventLog(url);

/** Prints an envelope's outcome and returns its data, stopping the program on failure. */
function check<M extends string, D>(label: string, envelope: Envelope<M, D>): D {
  if (!envelope.success) {
    console.error(`✗ ${label}: [${envelope.code}] ${envelope.error}`);
    process.exit(1);
  }
  return envelope.data;
}

console.log(`Event Log quick start on ${url}\n`);

// Start from a clean slate so the program can run again and again on the same file.
const names = [
  'user-activity',
  'audit-log',
  'activity-log',
  'order-events',
  'system-monitor',
  'analytics-log',
];
for (const name of names) {
  const found = await log.getInstance(name);
  if (found.success) check(`delete old ${name}`, await log.deleteInstance(name));
}

// --- Quick Start -----------------------------------------------------------------------------
const instance = check(
  'createInstance',
  await log.createInstance('user-activity', 'Logs user actions and system events'),
);
console.log('Created instance:', instance.instance.id);

const appended = check(
  'appendEvent',
  await log.appendEvent({
    instanceId: instance.instance.id,
    streamId: 'user-123',
    eventType: 'login',
    payload: { userId: 'user-123', timestamp: Date.now(), ip: '192.168.1.1' },
    metadata: { source: 'web-app', version: '1.0.0' },
  }),
);
console.log('Appended event:', appended.event.event_type, '#', appended.event.sequence_number);

const result = check(
  'queryEvents',
  await log.queryEvents({
    from: { instance: instance.instance.id, stream: 'user-123' },
    where: [{ field: 'event_type', operator: 'eq', value: 'login' }],
    orderBy: { field: 'timestamp', direction: 'desc' },
    limit: 10,
  }),
);
console.log('Recent login events:', result.result.events);

// --- Audit logging ----------------------------------------------------------------------------
// The document appends to instanceId 'audit-log' directly: an instance is referenced by id or by
// name, and autoCreateInstance creates it on first use.
check(
  'audit appendEvent',
  await log.appendEvent({
    instanceId: 'audit-log',
    autoCreateInstance: true,
    streamId: 'data-changes',
    eventType: 'record_updated',
    payload: {
      table: 'users',
      recordId: 'user-123',
      changes: { field: 'email', old: 'old@email.com', new: 'new@email.com' },
      performedBy: 'admin-1',
    },
  }),
);
console.log(
  '\nAudit trail:',
  check('audit query', await log.queryEvents({ from: { instance: 'audit-log' } })).result.events?.map(
    (e) => `${e.event_type} ${JSON.stringify(e.payload)}`,
  ),
);

// --- Activity tracking ------------------------------------------------------------------------
check('create activity-log', await log.createInstance('activity-log'));
const userId = 'user-42';
for (const [page, duration] of [
  ['/home', 1200],
  ['/dashboard', 5000],
  ['/settings', 800],
] as const) {
  check(
    'activity appendEvent',
    await log.appendEvent({
      instanceId: 'activity-log',
      streamId: userId,
      eventType: 'page_view',
      payload: { page, referrer: '/home', duration },
    }),
  );
}
const avgDuration = check(
  'activity avg',
  await log.queryEvents({
    from: { instance: 'activity-log', stream: userId },
    reduce: { type: 'avg', field: 'payload.duration' },
  }),
);
console.log('\nAverage page view duration (ms):', avgDuration.result.aggregation?.value);

// --- Event sourcing -----------------------------------------------------------------------------
check('create order-events', await log.createInstance('order-events'));
const orderId = 'o-1001';
check(
  'OrderCreated',
  await log.appendEvent({
    instanceId: 'order-events',
    streamId: `order-${orderId}`,
    eventType: 'OrderCreated',
    expectedVersion: 'no_stream',
    payload: { orderId, customerId: 'c-7', items: [{ sku: 'A1', qty: 2 }], totalAmount: 59.9 },
  }),
);
check(
  'OrderPaid',
  await log.appendEvent({
    instanceId: 'order-events',
    streamId: `order-${orderId}`,
    eventType: 'OrderPaid',
    expectedVersion: 1,
    payload: { orderId, amount: 59.9 },
  }),
);
const stale = await log.appendEvent({
  instanceId: 'order-events',
  streamId: `order-${orderId}`,
  eventType: 'OrderCancelled',
  expectedVersion: 1,
  payload: { orderId },
});
console.log(
  '\nA stale write is refused:',
  stale.success ? 'unexpectedly accepted' : `${stale.code} ${JSON.stringify(stale.details)}`,
);

// --- Monitoring and alerts ---------------------------------------------------------------------
check('create system-monitor', await log.createInstance('system-monitor'));
check(
  'alerts appendEvents',
  await log.appendEvents({
    instanceId: 'system-monitor',
    streamId: 'alerts',
    events: [
      {
        eventType: 'threshold_exceeded',
        payload: { metric: 'cpu_usage', value: 95, threshold: 80, severity: 'warning' },
      },
      {
        eventType: 'threshold_exceeded',
        payload: { metric: 'memory', value: 97, threshold: 90, severity: 'critical' },
      },
      { eventType: 'recovered', payload: { metric: 'cpu_usage', value: 40 } },
    ],
  }),
);
const critical = check(
  'critical alerts',
  await log.queryEvents({
    from: { instance: 'system-monitor', stream: 'alerts' },
    where: [{ field: 'payload.severity', operator: 'in', value: ['critical', 'error'] }],
    select: ['event_type', 'payload.metric', 'payload.value'],
  }),
);
console.log('\nCritical alerts:', critical.result.events);

// --- Analytics and reporting -------------------------------------------------------------------
check('create analytics-log', await log.createInstance('analytics-log'));
const day = Date.UTC(2024, 0, 19);
check(
  'analytics appendEvents',
  await log.appendEvents({
    instanceId: 'analytics-log',
    events: Array.from({ length: 24 }, (_, i) => ({
      streamId: `session-${i % 4}`,
      eventType: ['login', 'page_view', 'page_view', 'logout'][i % 4] as string,
      timestamp: day + i * 45 * 60_000,
      payload: { duration: 100 * (i + 1) },
    })),
  }),
);
const startTime = new Date(day).toISOString();
const endTime = new Date(day + 12 * 3_600_000).toISOString();
const analytics = check(
  'analytics count by event_type',
  await log.queryEvents({
    from: { instance: 'analytics-log' },
    where: [
      { field: 'timestamp', operator: 'gte', value: startTime },
      { field: 'timestamp', operator: 'lte', value: endTime },
    ],
    reduce: { type: 'count', groupBy: ['event_type'] },
  }),
);
console.log('\nEvents per type between', startTime, 'and', endTime);
console.table(analytics.result.aggregation?.groups?.map((g) => ({ ...g.key, count: g.value })));

const hourly = check(
  'hourly time series',
  await log.queryEvents({
    from: { instance: 'analytics-log' },
    reduce: { type: 'sum', field: 'payload.duration', groupBy: [{ field: 'timestamp', interval: 'hour' }] },
  }),
);
console.log('Total duration per hour (first 4 buckets):');
console.table(hourly.result.aggregation?.groups?.slice(0, 4).map((g) => ({ ...g.key, sum: g.value })));

console.log('\nStats of analytics-log:', check('stats', await log.getInstanceStats('analytics-log')));
console.log(
  'Instances:',
  check('list', await log.listInstances())
    .instances.map((i) => i.name)
    .join(', '),
);

await log.close();
