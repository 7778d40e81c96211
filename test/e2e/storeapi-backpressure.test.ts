/**
 * Backpressure on the StoreAPI server: a client that stops reading a large Series answer (~30 MB)
 * holds back promdedup's query worker, which waits with the rest of the answer unencoded instead
 * of handing all of it to the main thread; once the client reads again, every series arrives.
 *
 * The series come from a StoreAPI endpoint below promdedup (a fake sidecar on grpc-js sending
 * prepared frames), so the test needs no large TSDB.
 */
import { Client, credentials, Metadata, Server, ServerCredentials, type ServerUnaryCall, type ServerWritableStream, type sendUnaryData, type ServiceDefinition } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeXorChunk } from '../../src/chunkenc/xor.js';
import { labelsFromRecord } from '../../src/model/labels.js';
import { MAX_INT64, MIN_INT64, method, storeApiDefinition, type PbSeriesRequest } from '../../src/store/grpc/proto.js';
import { encodeSeriesFrame, readSeriesResponse, type RawChunk } from '../../src/store/grpc/series-codec.js';
import { sleep } from '../support/child-process.js';
import { ensureQuerierBuilt, startQuerier, type QuerierProcess } from '../support/querier-process.js';

const SERIES = 20_000;
const T0 = 1_700_000_000_000;
const STEP = 15_000;

/** Eight 120-sample chunks one after the other, shared by every series (only the labels differ). */
function chunks(): RawChunk[] {
  const out: RawChunk[] = [];
  for (let c = 0; c < 8; c++) {
    const ts = Array.from({ length: 120 }, (_, i) => T0 + (c * 120 + i) * STEP);
    out.push({ minTime: ts[0]!, maxTime: ts[119]!, data: encodeXorChunk(ts, ts.map((t, i) => (t / 1000) % 97 + i)) });
  }
  return out;
}

async function startSidecar(frames: Buffer[]): Promise<{ address: string; close(): void }> {
  const def = storeApiDefinition();
  const server = new Server();
  server.addService(def['thanos.info.Info'] as unknown as ServiceDefinition, {
    Info: (_call: ServerUnaryCall<object, unknown>, done: sendUnaryData<unknown>) =>
      done(null, { label_sets: [], ComponentType: 'sidecar', store: { min_time: MIN_INT64, max_time: MAX_INT64, supports_sharding: false, supports_without_replica_labels: false, tsdb_infos: [] } }),
  });
  const store = def['thanos.Store'] as unknown as ServiceDefinition;
  server.addService({ ...store, Series: { ...store['Series']!, responseSerialize: (b: Buffer) => b } }, {
    Series: (call: ServerWritableStream<PbSeriesRequest, Buffer>) => {
      let i = 0;
      const more = (): void => {
        while (i < frames.length) if (!call.write(frames[i++]!)) return void call.once('drain', more);
        call.end();
      };
      more();
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err !== null ? reject(err) : resolve(p))),
  );
  return { address: `127.0.0.1:${port}`, close: () => server.forceShutdown() };
}

async function metric(url: string, re: RegExp): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = re.exec(text);
  return m ? Number(m[1]) : -1;
}

const busyWorkers = (url: string): Promise<number> => metric(url, /promdedup_query_workers\{state="busy"\} (\d+)/);
/** Reads of endpoints finished (the worker then has every series). */
const readsDone = (url: string): Promise<number> => metric(url, /promdedup_store_select_duration_seconds_count\{[^}]*\} (\d+)/);

describe('StoreAPI server backpressure', () => {
  let sidecar: { address: string; close(): void };
  let a: QuerierProcess;
  let answerBytes = 0;

  beforeAll(async () => {
    ensureQuerierBuilt();
    const cs = chunks();
    const frames: Buffer[] = [];
    for (let i = 0; i < SERIES; i++) {
      const f = encodeSeriesFrame(labelsFromRecord({ __name__: 'big', i: String(i).padStart(6, '0') }), cs);
      frames.push(Buffer.from(f.buffer, f.byteOffset, f.length));
      answerBytes += f.length;
    }
    sidecar = await startSidecar(frames);
    a = await startQuerier({ endpoints: [sidecar.address], replicaLabels: [] });
  }, 120_000);

  afterAll(async () => {
    await a?.stop();
    sidecar?.close();
  });

  it('a client that stops reading holds the worker back; reading again delivers every series', async () => {
    expect(answerBytes).toBeGreaterThan(25 * 1024 * 1024);
    const client = new Client(`127.0.0.1:${a.grpcPort}`, credentials.createInsecure());
    const series = method<PbSeriesRequest, Buffer>('thanos.Store', 'Series');
    const req = { min_time: T0, max_time: T0 + 960 * STEP, matchers: [{ type: 0, name: '__name__', value: 'big' }] } as unknown as PbSeriesRequest;
    const call = client.makeServerStreamRequest<PbSeriesRequest, Buffer>(series.path, series.requestSerialize, (b) => b, req, new Metadata());
    let got = 0;
    const done = new Promise<void>((resolve, reject) => {
      call.on('end', resolve);
      call.on('error', reject);
    });
    call.on('data', (msg: Buffer) => {
      readSeriesResponse(msg, { series: () => got++, warning: () => {} });
      if (got === 1) call.pause();
    });
    try {
      // Once the endpoint's read is done the worker has every series; it then waits for the reader.
      const fetched = Date.now() + 30_000;
      while ((await readsDone(a.url)) < 1 && Date.now() < fetched) await sleep(100);
      expect(await readsDone(a.url)).toBe(1);
      await sleep(2_000);
      expect(await busyWorkers(a.url)).toBe(1);
      await sleep(1_000);
      expect(await busyWorkers(a.url)).toBe(1);
      call.resume();
      await done;
      expect(got).toBe(SERIES);
      const deadline = Date.now() + 5_000;
      while ((await busyWorkers(a.url)) !== 0 && Date.now() < deadline) await sleep(100);
      expect(await busyWorkers(a.url)).toBe(0);
    } finally {
      call.cancel();
      client.close();
    }
  }, 60_000);
});
