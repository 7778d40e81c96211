import { describe, expect, it } from 'vitest';
import { prometheusAvailable, startPrometheus } from '../support/prometheus.js';

const avail = prometheusAvailable();
if (!avail) console.warn('prometheus/promtool not on PATH: skipping PrometheusStore integration tests');

describe.skipIf(!avail)('startPrometheus', () => {
  it('starts with imported history and external labels', async () => {
    const t0 = Math.floor(Date.now() / 1000) - 3600;
    let om = '# TYPE up gauge\n';
    for (let i = 0; i < 10; i++) om += `up{job="a"} ${i} ${t0 + i * 15}\n`;
    om += '# EOF\n';
    const p = await startPrometheus({ externalLabels: { cluster: 'c1', replica: 'r0' }, openMetrics: om });
    try {
      const r = await fetch(`${p.url}/api/v1/query?query=count_over_time(up[2h])`);
      const j = (await r.json()) as { data: { result: { value: [number, string] }[] } };
      expect(j.data.result[0]!.value[1]).toBe('10');
      const c = await (await fetch(`${p.url}/api/v1/status/config`)).json() as { data: { yaml: string } };
      expect(c.data.yaml).toContain('replica: r0');
    } finally {
      await p.stop();
    }
  });
});
