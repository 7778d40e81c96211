/**
 * PrometheusStore and the API against an endpoint that answers 200 with nonsense: each bad answer
 * becomes a warning naming the endpoint (or a 422 without partial response), never garbage output.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusStore } from '../../src/store/prometheus/store.js';

let server: Server;
let url: string;
/** Body per path prefix. */
const answers: [string, string][] = [
  ['/api/v1/status/config', JSON.stringify({ status: 'success', data: { yaml: 'global: {}\n' } })],
  ['/api/v1/labels', '{"status":"success","data":"abc"}'],
  ['/api/v1/label/', '{"status":"success","data":["ok",5,null]}'],
  ['/api/v1/series', '{"status":"success","data":["abc",5,null]}'],
  ['/api/v1/metadata', '{"status":"success","data":["x","y"]}'],
];
let huge = false;

beforeAll(async () => {
  server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (huge) {
      res.write('{"status":"success","data":[');
      const chunk = '"' + 'x'.repeat(1000) + '",';
      let n = 0;
      const pump = (): void => {
        while (n++ < 5000) if (!res.write(chunk)) return void res.once('drain', pump);
        res.end('"z"]}');
      };
      return pump();
    }
    const hit = answers.find(([p]) => req.url!.startsWith(p));
    res.end(hit ? hit[1] : 'null');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const req = { minTime: 0, maxTime: 1000, matchers: [], limit: 0 };

describe('PrometheusStore against an endpoint that answers nonsense', () => {
  it('rejects answers of the wrong shape with a clear error', async () => {
    const store = new PrometheusStore({ url, refreshIntervalMs: 0 });
    try {
      const signal = AbortSignal.timeout(5000);
      await expect(store.labelNames(req, signal)).rejects.toThrow('data is not a list of strings');
      await expect(store.labelValues('x', req, signal)).rejects.toThrow('data is not a list of strings');
      await expect(store.series(req, signal)).rejects.toThrow('data is not a list of label sets');
      await expect(store.metadata('', 0, signal)).rejects.toThrow('data is not a map of metric metadata lists');
    } finally {
      await store.stop();
    }
  });

  it('refuses an answer larger than the response limit', async () => {
    huge = true;
    const store = new PrometheusStore({ url, refreshIntervalMs: 0, maxResponseBytes: 100_000 });
    try {
      await expect(store.labelNames(req, AbortSignal.timeout(5000))).rejects.toThrow('response larger than 100000 bytes');
    } finally {
      huge = false;
      await store.stop();
    }
  });

  it('fills in missing metadata fields instead of printing undefined', async () => {
    answers.unshift(['/api/v1/metadata', '{"status":"success","data":{"up":[{"type":"gauge","help":"h"}]}}']);
    const store = new PrometheusStore({ url, refreshIntervalMs: 0 });
    try {
      expect(await store.metadata('', 0, AbortSignal.timeout(5000))).toEqual({ up: [{ type: 'gauge', help: 'h', unit: '' }] });
    } finally {
      answers.shift();
      await store.stop();
    }
  });
});
