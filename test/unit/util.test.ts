import { describe, expect, it } from 'vitest';
import { parseDuration as parsePromDuration } from '../../src/promql/parser.js';
import { Gate } from '../../src/util/gate.js';
import { createLogger } from '../../src/util/log.js';

describe('Prometheus durations', () => {
  it('parses', () => {
    expect(parsePromDuration('1h30m')).toBe(5_400_000);
    expect(parsePromDuration('250ms')).toBe(250);
    expect(parsePromDuration('0')).toBe(0);
    expect(parsePromDuration('1y')).toBe(31_536_000_000);
    expect(() => parsePromDuration('1.5h')).toThrow();
    expect(() => parsePromDuration('5m1h')).toThrow();
    expect(() => parsePromDuration('')).toThrow();
  });
});

describe('Gate', () => {
  it('runs at most `limit` tasks at once and lets waiters give up', async () => {
    const gate = new Gate(2);
    let running = 0;
    let peak = 0;
    const task = async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 10));
      running--;
    };
    await Promise.all([1, 2, 3, 4, 5].map(() => gate.run(task)));
    expect(peak).toBe(2);

    const blockers = [gate.run(() => new Promise((r) => setTimeout(r, 50))), gate.run(() => new Promise((r) => setTimeout(r, 50)))];
    const controller = new AbortController();
    const waiting = gate.run(async () => 'ran', controller.signal);
    controller.abort(new Error('gave up'));
    await expect(waiting).rejects.toThrow('gave up');
    await Promise.all(blockers);
    expect(gate.inFlight).toBe(0);
  });
});

describe('logger', () => {
  it('writes logfmt and json lines, filtered by level', () => {
    const lines: string[] = [];
    const log = createLogger('info', 'logfmt', (l) => lines.push(l));
    log.debug('hidden');
    log.info('hello world', { endpoint: 'http://a:9090', n: 3 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^level=info ts=\S+ msg="hello world" endpoint=http:\/\/a:9090 n=3\n$/);
    const json: string[] = [];
    createLogger('debug', 'json', (l) => json.push(l)).warn('x', { a: 'b' });
    expect(JSON.parse(json[0]!)).toMatchObject({ level: 'warn', msg: 'x', a: 'b' });
  });
});

describe('CompatDetector: PromQL annotations by backend version', () => {
  it('Prometheus before 2.48 had none; 2.48+, 3.x and unknown versions have them', async () => {
    const { hasNoAnnotations } = await import('../../src/query/compat.js');
    expect(hasNoAnnotations('2.42.0+ds')).toBe(true);
    expect(hasNoAnnotations('2.47.2')).toBe(true);
    expect(hasNoAnnotations('1.8.2')).toBe(true);
    expect(hasNoAnnotations('2.48.0')).toBe(false);
    expect(hasNoAnnotations('2.55.1')).toBe(false);
    expect(hasNoAnnotations('3.5.0')).toBe(false);
    expect(hasNoAnnotations('main')).toBe(false);
  });
});
