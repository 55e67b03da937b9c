import { describe, expect, it } from 'vitest';
import type { NodeSample } from '../../../agent/src/metrics/node-metrics.ts';
import {
  containerFamilies,
  escapeLabelValue,
  type MetricFamily,
  nodeFamilies,
  renderExposition,
} from '../../../agent/src/metrics/prometheus.ts';

interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestampMs?: number;
}

interface Parsed {
  help: Map<string, string>;
  type: Map<string, string>;
  samples: ParsedSample[];
}

/** A small parser of text format 0.0.4, strict enough to reject what Prometheus would. */
function parseExposition(text: string): Parsed {
  const parsed: Parsed = { help: new Map(), type: new Map(), samples: [] };
  if (text !== '' && !text.endsWith('\n')) throw new Error('exposition must end with a newline');
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      const [, kind, name = '', rest = ''] = meta;
      if (kind === 'HELP') parsed.help.set(name, rest.replace(/\\n/g, '\n').replace(/\\\\/g, '\\'));
      else {
        if (!/^(counter|gauge|histogram|summary|untyped)$/.test(rest)) throw new Error(`bad type: ${line}`);
        parsed.type.set(name, rest);
      }
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( (-?\d+))?$/.exec(line);
    if (!m) throw new Error(`bad sample line: ${line}`);
    const name = m[1] ?? '';
    if (!parsed.type.has(name)) throw new Error(`sample before its TYPE: ${line}`);
    const labels: Record<string, string> = {};
    let body = m[3] ?? '';
    while (body !== '') {
      const lm = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\[\\"n])*)"(,|$)/.exec(body);
      if (!lm) throw new Error(`bad labels in: ${line}`);
      labels[lm[1] ?? ''] = (lm[2] ?? '').replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
      body = body.slice(lm[0].length);
    }
    const raw = m[4] ?? '';
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    if (raw !== 'NaN' && Number.isNaN(value)) throw new Error(`bad value: ${line}`);
    parsed.samples.push({ name, labels, value, timestampMs: m[6] ? Number(m[6]) : undefined });
  }
  return parsed;
}

const sample: NodeSample = {
  timestamp: new Date(0),
  cpuCores: 2,
  cpuModel: 'test',
  cpuUsagePercent: 25,
  cpuUsageCores: 0.5,
  load1: 0.3,
  load5: 0.2,
  load15: 0.1,
  memoryTotalBytes: 8e9,
  memoryAvailableBytes: 6e9,
  memoryWorkingSetBytes: 2e9,
  diskPath: '/var/lib/kedge',
  diskTotalBytes: 1e11,
  diskAvailableBytes: 5e10,
};

describe('Prometheus exposition', () => {
  it('renders node and container metrics that parse back to the same values', () => {
    const capacity = { cpuMillis: 2000, memoryBytes: 8e9, ephemeralStorageBytes: 1e11, pods: 110 };
    const allocatable = { ...capacity, cpuMillis: 1750 };
    const text = renderExposition([
      ...nodeFamilies('edge-1', sample, capacity, allocatable),
      ...containerFamilies([
        {
          namespace: 'default',
          pod: 'web-1',
          container: 'nginx',
          stats: {
            id: 'abc',
            cpuNanoCores: 250_000_000,
            cpuPercent: 25,
            cpuUsageCoreNanoSeconds: 3_500_000_000,
            memoryWorkingSetBytes: 12_345_678,
            memoryLimitBytes: 64 * 1024 * 1024,
            pids: 3,
            timestamp: new Date(0),
          },
        },
      ]),
    ]);
    const parsed = parseExposition(text);
    const find = (name: string, labels: Record<string, string> = {}) =>
      parsed.samples.find(
        (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
      );

    expect(parsed.type.get('kedge_node_cpu_usage_cores')).toBe('gauge');
    expect(parsed.type.get('kedge_container_cpu_usage_seconds_total')).toBe('counter');
    expect(parsed.help.get('kedge_node_memory_working_set_bytes')).toMatch(/Memory in use/);
    expect(find('kedge_node_cpu_usage_cores', { node: 'edge-1' })?.value).toBe(0.5);
    expect(find('kedge_node_memory_working_set_bytes')?.value).toBe(2e9);
    expect(find('kedge_node_allocatable', { resource: 'cpu' })?.value).toBe(1.75);
    expect(find('kedge_node_capacity', { resource: 'pods' })?.value).toBe(110);
    expect(
      find('kedge_container_cpu_usage_cores', { namespace: 'default', pod: 'web-1', container: 'nginx' })
        ?.value,
    ).toBe(0.25);
    expect(find('kedge_container_cpu_usage_seconds_total')?.value).toBe(3.5);
    expect(find('kedge_container_memory_working_set_bytes')?.value).toBe(12_345_678);
    // Every family has exactly one HELP and one TYPE line.
    const typeLines = text.split('\n').filter((l) => l.startsWith('# TYPE '));
    expect(new Set(typeLines).size).toBe(typeLines.length);
    expect(parsed.help.size).toBe(parsed.type.size);
  });

  it('escapes label values and help text so that they survive a parse', () => {
    const nasty = 'a "quoted"\\path\nnext line';
    const families: MetricFamily[] = [
      {
        name: 'kedge_test_info',
        help: 'help with \\ backslash\nand newline',
        type: 'gauge',
        samples: [
          { labels: { pod: nasty }, value: 1, timestampMs: 1700000000000 },
          { labels: { pod: 'plain' }, value: Number.NaN },
          { value: Number.POSITIVE_INFINITY },
        ],
      },
    ];
    const text = renderExposition(families);
    expect(text).toContain('pod="a \\"quoted\\"\\\\path\\nnext line"');
    expect(text.split('\n').filter((l) => l !== '')).toHaveLength(5);
    const parsed = parseExposition(text);
    expect(parsed.samples[0]).toEqual({
      name: 'kedge_test_info',
      labels: { pod: nasty },
      value: 1,
      timestampMs: 1700000000000,
    });
    expect(parsed.samples[1]?.value).toBeNaN();
    expect(parsed.samples[2]?.value).toBe(Infinity);
    expect(parsed.help.get('kedge_test_info')).toBe('help with \\ backslash\nand newline');
    expect(escapeLabelValue('x')).toBe('x');
  });

  it('refuses names Prometheus would reject', () => {
    expect(() => renderExposition([{ name: 'bad-name', help: '', type: 'gauge', samples: [] }])).toThrow(
      /invalid metric name/,
    );
    expect(() =>
      renderExposition([
        { name: 'ok', help: '', type: 'gauge', samples: [{ labels: { 'bad-label': 'x' }, value: 1 }] },
      ]),
    ).toThrow(/invalid label name/);
  });
});
