/**
 * Standard 5-field cron (minute hour day-of-month month day-of-week) as CronJobs use it: `*`,
 * lists, ranges, steps, month and weekday names, `7` as Sunday, and the @hourly/@daily/@weekly/
 * @monthly/@yearly shorthands. When both day fields are restricted a day matches either (cron's
 * rule). Times are UTC (a `timeZone` other than UTC is reported as unsupported by the controller).
 */

export interface CronSchedule {
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly days: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  readonly weekdays: ReadonlySet<number>;
  readonly daysRestricted: boolean;
  readonly weekdaysRestricted: boolean;
}

export interface CronError {
  readonly kind: 'Invalid';
  readonly message: string;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

function parseField(text: string, lo: number, hi: number, names?: string[]): Set<number> | string {
  const out = new Set<number>();
  const value = (s: string): number | undefined => {
    const i = names?.indexOf(s.toLowerCase()) ?? -1;
    if (i >= 0) return i + (names === MONTHS ? 1 : 0);
    return /^\d+$/.test(s) ? Number(s) : undefined;
  };
  for (const part of text.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) return `bad step in "${part}"`;
    let from: number | undefined;
    let to: number | undefined;
    if (range === '*') {
      from = lo;
      to = hi;
    } else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      from = value(a);
      to = value(b);
    } else {
      from = value(range);
      to = stepText === undefined ? from : hi;
    }
    if (from === undefined || to === undefined || from < lo || to > hi || from > to)
      return `"${part}" is outside ${lo}-${hi}`;
    for (let v = from; v <= to; v += step) out.add(v);
  }
  return out;
}

export function parseCron(text: string): CronSchedule | CronError {
  const expanded = MACROS[text.trim().toLowerCase()] ?? text.trim();
  const f = expanded.split(/\s+/);
  if (f.length !== 5)
    return {
      kind: 'Invalid',
      message: `expected exactly 5 fields (minute hour day-of-month month day-of-week), found ${f.length}: "${text}"`,
    };
  const parts = [
    parseField(f[0] ?? '', 0, 59),
    parseField(f[1] ?? '', 0, 23),
    parseField(f[2] ?? '', 1, 31),
    parseField(f[3] ?? '', 1, 12, MONTHS),
    parseField(f[4] ?? '', 0, 7, DAYS),
  ];
  const names = ['minute', 'hour', 'day-of-month', 'month', 'day-of-week'];
  for (const [i, p] of parts.entries())
    if (typeof p === 'string') return { kind: 'Invalid', message: `invalid ${names[i]} field: ${p}` };
  const [minutes, hours, days, months, weekdays] = parts as Set<number>[];
  if (weekdays?.has(7)) weekdays.add(0);
  return {
    minutes: minutes ?? new Set(),
    hours: hours ?? new Set(),
    days: days ?? new Set(),
    months: months ?? new Set(),
    weekdays: weekdays ?? new Set(),
    daysRestricted: !(f[2] ?? '').startsWith('*'),
    weekdaysRestricted: !(f[4] ?? '').startsWith('*'),
  };
}

function dayMatches(s: CronSchedule, d: Date): boolean {
  const dom = s.days.has(d.getUTCDate());
  const dow = s.weekdays.has(d.getUTCDay());
  if (s.daysRestricted && s.weekdaysRestricted) return dom || dow;
  return dom && dow;
}

/** The first scheduled minute strictly after `after` (ms), or undefined within five years. */
export function nextRun(s: CronSchedule, after: number): number | undefined {
  const d = new Date(Math.floor(after / 60_000) * 60_000 + 60_000);
  const limit = after + 5 * 366 * 86_400_000;
  while (d.getTime() <= limit) {
    if (!s.months.has(d.getUTCMonth() + 1)) {
      d.setUTCMonth(d.getUTCMonth() + 1, 1);
      d.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!dayMatches(s, d)) {
      d.setUTCDate(d.getUTCDate() + 1);
      d.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!s.hours.has(d.getUTCHours())) {
      d.setUTCHours(d.getUTCHours() + 1, 0, 0, 0);
      continue;
    }
    if (!s.minutes.has(d.getUTCMinutes())) {
      d.setUTCMinutes(d.getUTCMinutes() + 1, 0, 0);
      continue;
    }
    return d.getTime();
  }
  return undefined;
}

/** The latest scheduled minute in (after, upTo], if any. */
export function lastRunBetween(s: CronSchedule, after: number, upTo: number): number | undefined {
  let t = nextRun(s, after);
  let last: number | undefined;
  while (t !== undefined && t <= upTo) {
    last = t;
    t = nextRun(s, t);
  }
  return last;
}
