/** The Events table at the end of every describe. Pure. */
import { age, type Event } from '../api.ts';
import { type Field, table } from './layout.ts';

/** kubectl's Age cell: `10s`, or `2m (x3 over 5m)` for a repeated event. */
function eventAge(e: Event, now: number): string {
  const last = e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp;
  const first = e.firstTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp;
  const count = e.count ?? 1;
  if (count > 1 && first) return `${age(last, now)} (x${count} over ${age(first, now)})`;
  return age(last, now);
}

const eventTime = (e: Event): number =>
  Date.parse(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? '') || 0;

/** Events oldest first, as kubectl sorts them. */
export function eventsField(events: readonly Event[], now: number): Field {
  const rows = [...events]
    .sort((a, b) => eventTime(a) - eventTime(b))
    .map((e) => [
      e.type ?? 'Normal',
      e.reason ?? '',
      eventAge(e, now),
      e.source?.component ?? e.reportingComponent ?? '',
      (e.message ?? '').trim(),
    ]);
  return ['Events', table(['Type', 'Reason', 'Age', 'From', 'Message'], rows)];
}
