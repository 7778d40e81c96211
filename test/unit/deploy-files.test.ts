/**
 * The deployment files in deploy/ checked without Docker or a cluster: every YAML and JSON file
 * parses, every Prometheus config passes `promtool check config`, the compose file's services,
 * mounts and URLs point at each other, the Kubernetes manifests have their required fields and
 * consistent selectors, ports and probes, the Dockerfile's ENTRYPOINT/CMD/HEALTHCHECK name files
 * the npm package ships, every flag any of them (or the README and docs/deployment.md) passes
 * to `promdedup query` / `ingest` / `query-frontend` is one that command's --help prints, and the
 * query frontend's downstream is the querier (run with stable dedup) and its caches are a memcached
 * the same files run, in a cache config the frontend accepts.
 *
 * Not run here (no daemon or cluster): docker build, docker compose up, kubectl apply, helm.
 * `kubectl kustomize` and `systemd-analyze verify` run when those tools are on PATH.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseCacheConfig, type CacheConfig } from '../../src/frontend/cache-config.js';
import { parseDuration } from '../../src/promql/parser.js';
import { ensureQuerierBuilt, querierEntryPoint, repoRoot } from '../support/querier-process.js';

const root = repoRoot();
const deployDir = join(root, 'deploy');

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out.sort();
}

function has(cmd: string, args: string[] = ['--version']): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 20_000 });
  return r.error === undefined && r.status === 0;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function loadYaml(file: string): unknown[] {
  // merge: the compose file shares service settings through YAML merge keys (<<: *promdedup).
  return parseAllDocuments(readFileSync(file, 'utf8'), { merge: true }).map((d) => {
    if (d.errors.length > 0) throw new Error(`${relative(root, file)}: ${d.errors.map((e) => e.message).join('; ')}`);
    return d.toJS({ maxAliasCount: 100 }) as unknown;
  });
}

const files = walk(deployDir);
const yamlFiles = files.filter((f) => /\.ya?ml$/.test(f));
const prometheusConfigs = yamlFiles.filter((f) => {
  const doc = obj(loadYaml(f)[0]);
  return 'scrape_configs' in doc || ('global' in doc && !('services' in doc));
});

type Sub = 'query' | 'ingest' | 'query-frontend';

/** Every `--flag` of every `promdedup query|ingest|query-frontend …` invocation in a text (continuation lines with `\` joined). */
function invocations(text: string): { sub: Sub; flags: string[] }[] {
  const joined = text.replace(/\\\n/g, ' ');
  const out: { sub: Sub; flags: string[] }[] = [];
  for (const line of joined.split('\n')) {
    const m = /\bpromdedup(?:[:.][\w.-]+)?\s+(query-frontend|query|ingest)(?![\w-])(.*)$/.exec(line);
    if (m === null) continue;
    out.push({ sub: m[1] as Sub, flags: flagsOf(m[2]!.split(/\s+/)) });
  }
  return out;
}

function flagsOf(args: readonly unknown[]): string[] {
  // A leading quote: a shell or systemd argument such as '--x={type: MEMCACHED, …}'.
  return args.map(str).map((a) => a.replace(/^['"]/, '')).filter((a) => a.startsWith('--')).map((a) => a.split('=')[0]!);
}

/** The value of `--flag=value` in an argument list (the first one). */
function flagValue(args: readonly unknown[], flag: string): string | undefined {
  const a = args.map(str).find((x) => x.startsWith(`${flag}=`));
  return a === undefined ? undefined : a.slice(flag.length + 1);
}

/** The frontend's two cache configs in an argument list, parsed as the frontend parses them. */
function frontendCaches(args: readonly unknown[]): CacheConfig[] {
  return ['--query-range.response-cache-config', '--labels.response-cache-config'].map((flag) => {
    const text = flagValue(args, flag);
    expect(text, flag).toBeDefined();
    const config = parseCacheConfig(text!, parseDuration);
    expect(config, `${flag}=${text}`).not.toBeNull();
    return config!;
  });
}

/** memcached host:port addresses of a frontend's caches (both caches must be memcached). */
function memcachedAddresses(args: readonly unknown[]): { host: string; port: number }[] {
  return frontendCaches(args).flatMap((c) => {
    expect(c.type).toBe('memcached');
    const addresses = c.type === 'memcached' ? c.addresses : [];
    expect(addresses.length).toBeGreaterThan(0);
    return addresses.map((a) => ({ host: a.slice(0, a.lastIndexOf(':')), port: Number(a.slice(a.lastIndexOf(':') + 1)) }));
  });
}

/** A systemd ExecStart= command line (continuations joined) split into words as systemd splits them. */
function systemdWords(unit: string): string[] {
  const line = /^ExecStart=((?:.*\\\n)*.*)/m.exec(unit)![1]!.replace(/\\\n/g, ' ');
  const words: string[] = [];
  for (const m of line.matchAll(/'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)/g)) words.push(m[1] ?? m[2]?.replace(/\\(.)/g, '$1') ?? m[3]!);
  return words;
}

/** `--http-address=h:p` in an argument list: the port. */
function portOf(args: readonly unknown[], flag: string): number | undefined {
  const a = args.map(str).find((x) => x.startsWith(`${flag}=`));
  return a === undefined ? undefined : Number(a.slice(a.lastIndexOf(':') + 1));
}

describe('deployment files', () => {
  const help: Record<Sub, Set<string>> = { query: new Set(), ingest: new Set(), 'query-frontend': new Set() };
  const helpText: Record<Sub, string> = { query: '', ingest: '', 'query-frontend': '' };
  let packaged: Set<string>;

  beforeAll(() => {
    ensureQuerierBuilt();
    for (const sub of ['query', 'ingest', 'query-frontend'] as const) {
      const r = spawnSync(process.execPath, [querierEntryPoint(), sub, '--help'], { encoding: 'utf8', timeout: 30_000 });
      expect(r.status, r.stderr).toBe(0);
      helpText[sub] = r.stdout;
      for (const m of r.stdout.matchAll(/^\s+(--[a-z][\w.-]*)/gm)) help[sub].add(m[1]!);
    }
    // The files `npm pack` would put in the package (dist/ built above).
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.toLowerCase().startsWith('npm_')) env[k] = v;
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, env, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const json = r.stdout.slice(r.stdout.indexOf('['));
    packaged = new Set((JSON.parse(json) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path));
  }, 120_000);

  it('has the files the deployment guide describes', () => {
    for (const f of [
      'deploy/docker/Dockerfile',
      'deploy/docker/healthcheck.mjs',
      'deploy/compose/docker-compose.yml',
      'deploy/kubernetes/kustomization.yaml',
      'deploy/kubernetes/query.yaml',
      'deploy/kubernetes/ingest.yaml',
      'deploy/kubernetes/query-frontend.yaml',
      'deploy/kubernetes/memcached.yaml',
      'deploy/systemd/promdedup-query.service',
      'deploy/systemd/promdedup-ingest.service',
      'deploy/systemd/promdedup-query-frontend.service',
      '.dockerignore',
      'docs/deployment.md',
    ]) {
      expect(existsSync(join(root, f)), f).toBe(true);
    }
  });

  it('every YAML and JSON file under deploy/ parses', () => {
    expect(yamlFiles.length).toBeGreaterThan(5);
    for (const f of yamlFiles) expect(loadYaml(f).length, relative(root, f)).toBeGreaterThan(0);
    for (const f of files.filter((x) => x.endsWith('.json'))) expect(() => JSON.parse(readFileSync(f, 'utf8')), relative(root, f)).not.toThrow();
  });

  it.skipIf(!has('promtool'))('every Prometheus config passes promtool check config', () => {
    expect(prometheusConfigs.map((f) => relative(root, f))).toEqual(
      expect.arrayContaining(['deploy/compose/prometheus/prometheus-a.yml', 'deploy/compose/prometheus/prometheus-b.yml', 'deploy/compose/prometheus/prometheus-receiver.yml']),
    );
    for (const f of prometheusConfigs) {
      const r = spawnSync('promtool', ['check', 'config', f], { encoding: 'utf8', timeout: 30_000 });
      expect(r.status, `${relative(root, f)}:\n${r.stdout}${r.stderr}`).toBe(0);
    }
  });

  it('the two replicas differ only in external_labels.replica', () => {
    const a = obj(loadYaml(join(deployDir, 'compose/prometheus/prometheus-a.yml'))[0]);
    const b = obj(loadYaml(join(deployDir, 'compose/prometheus/prometheus-b.yml'))[0]);
    expect(obj(obj(a.global).external_labels)).toEqual({ cluster: 'demo', replica: 'a' });
    expect(obj(obj(b.global).external_labels)).toEqual({ cluster: 'demo', replica: 'b' });
    const strip = (c: Obj): Obj => ({ ...c, global: { ...obj(c.global), external_labels: { ...obj(obj(c.global).external_labels), replica: '' } } });
    expect(strip(a)).toEqual(strip(b));
    expect(arr(a.scrape_configs).length).toBeGreaterThan(0);
  });

  describe('compose', () => {
    const composeFile = join(deployDir, 'compose/docker-compose.yml');
    const compose = obj(loadYaml(composeFile)[0]);
    const services = obj(compose.services);
    const svc = (name: string): Obj => obj(services[name]);
    /** host:port of a URL when the host is a compose service. */
    const target = (url: string): { service: string; port: number } => {
      const u = new URL(url);
      expect(Object.keys(services), `${url}: host is not a compose service`).toContain(u.hostname);
      return { service: u.hostname, port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)) };
    };
    const listenPort = (name: string): number => {
      const s = svc(name);
      const command = arr(s.command);
      if (str(s.image).startsWith('prom/prometheus')) return portOf(command, '--web.listen-address') ?? 9090;
      if (str(s.image).startsWith('grafana/')) return 3000;
      return portOf(command, '--http-address') ?? (command[0] === 'ingest' ? 8080 : 10902);
    };

    it('has two Prometheus replicas, promdedup query over both with the replica label, and Grafana', () => {
      for (const name of ['prometheus-a', 'prometheus-b', 'promdedup-query', 'promdedup-query-frontend', 'memcached', 'promdedup-ingest', 'prometheus-receiver', 'grafana']) {
        expect(Object.keys(services)).toContain(name);
      }
      for (const [name, s] of Object.entries(services)) {
        const o = obj(s);
        expect(str(o.image) !== '' || 'build' in o, `${name}: image or build`).toBe(true);
        for (const dep of arr(o.depends_on)) expect(Object.keys(services), `${name} depends_on ${str(dep)}`).toContain(dep);
        for (const v of arr(o.volumes).map(str)) {
          const host = v.split(':')[0]!;
          if (host.startsWith('.')) expect(existsSync(resolve(dirname(composeFile), host)), `${name}: ${host}`).toBe(true);
          else expect(Object.keys(obj(compose.volumes)), `${name}: named volume ${host}`).toContain(host);
        }
        const listening = [listenPort(name), ...(arr(o.command)[0] === 'query' ? [portOf(arr(o.command), '--grpc-address')] : [])];
        for (const p of arr(o.ports).map(str)) expect(listening, `${name}: ${p}`).toContain(Number(p.split(':').pop()));
        const build = obj(o.build);
        if ('build' in o) {
          expect(existsSync(join(resolve(dirname(composeFile), str(build.context)), str(build.dockerfile))), `${name}: dockerfile`).toBe(true);
          expect(resolve(dirname(composeFile), str(build.context))).toBe(root);
        }
      }
      const query = arr(svc('promdedup-query').command).map(str);
      expect(query[0]).toBe('query');
      expect(query).toContain('--query.replica-label=replica');
      const endpoints = query.filter((a) => a.startsWith('--endpoint=')).map((a) => target(a.slice('--endpoint='.length)));
      expect(endpoints.map((e) => e.service).sort()).toEqual(['prometheus-a', 'prometheus-b']);
      for (const e of endpoints) expect(e.port).toBe(listenPort(e.service));
      // Each replica mounts its own config file as --config.file.
      for (const r of ['a', 'b']) {
        const s = svc(`prometheus-${r}`);
        const cfg = arr(s.command).map(str).find((a) => a.startsWith('--config.file='))!.split('=')[1];
        expect(arr(s.volumes).map(str)).toContain(`./prometheus/prometheus-${r}.yml:${cfg}:ro`);
      }
    });

    it('promdedup ingest sits between the replicas and a receiving Prometheus, on the same labels', () => {
      const ingest = arr(svc('promdedup-ingest').command).map(str);
      expect(ingest[0]).toBe('ingest');
      const rw = target(ingest.find((a) => a.startsWith('--remote-write.url='))!.split('=')[1]!);
      expect(rw.port).toBe(listenPort(rw.service));
      expect(arr(svc(rw.service).command)).toContain('--web.enable-remote-write-receiver');
      expect(ingest).toContain('--ha-tracker.replica=replica');
      expect(ingest).toContain('--ha-tracker.cluster=cluster');
      for (const r of ['a', 'b']) {
        const cfg = obj(loadYaml(join(deployDir, `compose/prometheus/prometheus-${r}.yml`))[0]);
        const urls = arr(cfg.remote_write).map((w) => str(obj(w).url));
        expect(urls).toHaveLength(1);
        const t = target(urls[0]!);
        expect(t).toEqual({ service: 'promdedup-ingest', port: listenPort('promdedup-ingest') });
      }
      // The image's health check asks the ingest port there.
      expect(str(obj(svc('promdedup-ingest').environment).PROMDEDUP_HEALTH_URL)).toBe(`http://127.0.0.1:${listenPort('promdedup-ingest')}/-/healthy`);
      expect(str(obj(svc('promdedup-query').environment).PROMDEDUP_HEALTH_URL)).toBe(`http://127.0.0.1:${listenPort('promdedup-query')}/-/healthy`);
    });

    it('promdedup query-frontend sits in front of promdedup query (stable dedup), caching in the memcached service', () => {
      const frontend = arr(svc('promdedup-query-frontend').command).map(str);
      expect(frontend[0]).toBe('query-frontend');
      const down = target(flagValue(frontend, '--query-frontend.downstream-url')!);
      expect(down).toEqual({ service: 'promdedup-query', port: listenPort('promdedup-query') });
      // Split and cached answers are exact only over a window-stable merge (docs/query-frontend.md).
      expect(arr(svc('promdedup-query').command)).toContain('--deduplication.func=stable');
      const mem = svc('memcached');
      expect(str(mem.image)).toMatch(/^memcached:1\.6/);
      const memArgs = arr(mem.command).map(str);
      expect(memArgs[memArgs.indexOf('-m') + 1]).toBe('256');
      // memcached listens on 11211 unless -p says otherwise.
      const memPort = memArgs.includes('-p') ? Number(memArgs[memArgs.indexOf('-p') + 1]) : 11211;
      for (const a of memcachedAddresses(frontend)) expect(a).toEqual({ host: 'memcached', port: memPort });
      const deps = arr(svc('promdedup-query-frontend').depends_on);
      expect(deps).toContain('promdedup-query');
      expect(deps).toContain('memcached');
      expect(str(obj(svc('promdedup-query-frontend').environment).PROMDEDUP_HEALTH_URL)).toBe(`http://127.0.0.1:${listenPort('promdedup-query-frontend')}/-/healthy`);
    });

    it('Grafana is provisioned with the query frontend as its default Prometheus datasource, the querier as another', () => {
      const mount = arr(svc('grafana').volumes).map(str).find((v) => v.endsWith(':/etc/grafana/provisioning:ro'))!;
      expect(mount).toBeDefined();
      const dir = join(resolve(dirname(composeFile), mount.split(':')[0]!), 'datasources');
      const sources = readdirSync(dir).flatMap((f) => arr(obj(loadYaml(join(dir, f))[0]).datasources).map(obj));
      const defaults = sources.filter((d) => d.isDefault === true);
      expect(defaults).toHaveLength(1);
      expect(defaults[0]!.type).toBe('prometheus');
      const t = target(str(defaults[0]!.url));
      expect(t).toEqual({ service: 'promdedup-query-frontend', port: listenPort('promdedup-query-frontend') });
      const all = sources.map((d) => target(str(d.url)));
      expect(all).toContainEqual({ service: 'promdedup-query', port: listenPort('promdedup-query') });
      expect(new Set(sources.map((d) => str(d.uid))).size).toBe(sources.length);
    });
  });

  describe('kubernetes', () => {
    const kdir = join(deployDir, 'kubernetes');
    const kustomization = obj(loadYaml(join(kdir, 'kustomization.yaml'))[0]);
    const resources = arr(kustomization.resources).map(str);
    const docs = resources.flatMap((f) => loadYaml(join(kdir, f)).map((d) => ({ file: f, doc: obj(d) })));
    const ofKind = (kind: string) => docs.filter((d) => d.doc.kind === kind).map((d) => d.doc);
    const matches = (selector: Obj, labels: Obj): boolean => Object.entries(selector).every(([k, v]) => labels[k] === v);

    it('every manifest has apiVersion, kind and metadata.name; kustomization lists files that exist', () => {
      expect(resources.length).toBeGreaterThan(0);
      for (const f of readdirSync(kdir).filter((x) => x !== 'kustomization.yaml')) expect(resources, `${f} not in kustomization.yaml`).toContain(f);
      for (const { file, doc } of docs) {
        expect(str(doc.apiVersion), file).not.toBe('');
        expect(str(doc.kind), file).not.toBe('');
        expect(str(obj(doc.metadata).name), `${file} ${str(doc.kind)}`).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      }
      const apis = Object.fromEntries(docs.map((d) => [str(d.doc.kind), str(d.doc.apiVersion)]));
      expect(apis).toMatchObject({ Deployment: 'apps/v1', Service: 'v1', PodDisruptionBudget: 'policy/v1' });
    });

    const serviceNamed = (host: string): Obj | undefined => ofKind('Service').find((s) => str(obj(s.metadata).name) === host.split('.')[0]);
    const argsOf = (name: string): string[] => {
      const dep = ofKind('Deployment').find((d) => str(obj(d.metadata).name) === name)!;
      return arr(obj(arr(obj(obj(obj(dep.spec).template).spec).containers)[0]).args).map(str);
    };

    it('query, query-frontend and ingest: Deployment, Service and PodDisruptionBudget with probes, resources, flags and ports that agree', () => {
      const deployments = ofKind('Deployment');
      for (const component of ['query', 'query-frontend', 'ingest'] as const) {
        const dep = deployments.find((d) => str(obj(d.metadata).name) === `promdedup-${component}`)!;
        expect(dep, component).toBeDefined();
        const spec = obj(dep.spec);
        const selector = obj(obj(spec.selector).matchLabels);
        const template = obj(spec.template);
        const labels = obj(obj(template.metadata).labels);
        expect(Object.keys(selector).length).toBeGreaterThan(0);
        expect(matches(selector, labels)).toBe(true);
        expect(Number(spec.replicas)).toBeGreaterThanOrEqual(2);
        const pod = obj(template.spec);
        expect(obj(pod.securityContext).runAsNonRoot).toBe(true);
        expect(Number(obj(pod.securityContext).runAsUser)).toBeGreaterThan(0);
        const containers = arr(pod.containers).map(obj);
        expect(containers).toHaveLength(1);
        const c = containers[0]!;
        expect(str(c.image)).toBe('promdedup'); // set by kustomization.yaml's images
        const args = arr(c.args).map(str);
        expect(args[0]).toBe(component);
        for (const f of flagsOf(args)) expect(help[component], `${component} manifest flag ${f}`).toContain(f);
        const ports = arr(c.ports).map(obj);
        const byName = new Map(ports.map((p) => [str(p.name), Number(p.containerPort)]));
        expect(byName.get('http')).toBe(portOf(args, '--http-address'));
        if (component === 'query') {
          expect(byName.get('grpc')).toBe(portOf(args, '--grpc-address'));
          expect(args).toContain('--query.replica-label=replica');
          expect(args.filter((a) => a.startsWith('--endpoint=')).length).toBeGreaterThanOrEqual(2);
          // The frontend in front of it splits and caches: exact only over stable dedup.
          expect(args).toContain('--deduplication.func=stable');
        } else if (component === 'query-frontend') {
          expect(args.some((a) => a.startsWith('--query-frontend.downstream-url='))).toBe(true);
        } else {
          expect(args.some((a) => a.startsWith('--remote-write.url='))).toBe(true);
          // Two instances share elections: not the per-process memory store.
          expect(args).toContain('--ha-tracker.store=redis');
        }
        const probe = (p: unknown) => obj(obj(p).httpGet);
        expect(probe(c.livenessProbe)).toMatchObject({ path: '/-/healthy', port: 'http' });
        expect(probe(c.readinessProbe)).toMatchObject({ path: '/-/ready', port: 'http' });
        const res = obj(c.resources);
        expect(Object.keys(obj(res.requests)).sort()).toEqual(['cpu', 'memory']);
        expect(str(obj(res.limits).memory)).not.toBe('');
        expect(obj(c.securityContext).readOnlyRootFilesystem).toBe(true);

        const svc = ofKind('Service').find((s) => str(obj(s.metadata).name) === `promdedup-${component}`)!;
        expect(svc, `${component} Service`).toBeDefined();
        expect(matches(obj(obj(svc.spec).selector), labels)).toBe(true);
        for (const p of arr(obj(svc.spec).ports).map(obj)) expect(byName.has(str(p.targetPort)), `Service port ${str(p.name)}`).toBe(true);

        const pdb = ofKind('PodDisruptionBudget').find((s) => str(obj(s.metadata).name) === `promdedup-${component}`)!;
        expect(pdb, `${component} PodDisruptionBudget`).toBeDefined();
        const pdbSpec = obj(pdb.spec);
        expect(matches(obj(obj(pdbSpec.selector).matchLabels), labels)).toBe(true);
        expect(Number(pdbSpec.minAvailable)).toBeLessThan(Number(spec.replicas));
      }
      // ingest's Redis address names a Service of these manifests.
      const ingest = deployments.find((d) => str(obj(d.metadata).name) === 'promdedup-ingest')!;
      const redis = arr(obj(arr(obj(obj(obj(ingest.spec).template).spec).containers)[0]).args)
        .map(str)
        .find((a) => a.startsWith('--ha-tracker.redis.address='))!
        .split('=')[1]!;
      const [host, port] = redis.split(':');
      const redisSvc = serviceNamed(host!);
      expect(redisSvc, redis).toBeDefined();
      expect(arr(obj(redisSvc!.spec).ports).map((p) => Number(obj(p).port))).toContain(Number(port));
    });

    it('query-frontend: its downstream is the query Service, its caches a memcached Service of these manifests', () => {
      const args = argsOf('promdedup-query-frontend');
      const down = new URL(flagValue(args, '--query-frontend.downstream-url')!);
      expect(down.hostname).toBe('promdedup-query.monitoring.svc');
      const querySvc = serviceNamed(down.hostname)!;
      expect(querySvc).toBeDefined();
      const httpPort = arr(obj(querySvc.spec).ports).map(obj).find((p) => p.name === 'http')!;
      expect(Number(down.port)).toBe(Number(httpPort.port));
      expect(portOf(argsOf('promdedup-query'), '--http-address')).toBe(Number(httpPort.port)); // targetPort: http
      for (const a of memcachedAddresses(args)) {
        const svc = serviceNamed(a.host);
        expect(svc, a.host).toBeDefined();
        expect(a.host).toMatch(new RegExp(`^${str(obj(svc!.metadata).name)}(\\.${str(kustomization.namespace)}\\.svc(\\.cluster\\.local)?)?$`));
        const port = arr(obj(svc!.spec).ports).map(obj).find((p) => Number(p.port) === a.port);
        expect(port, `${a.host}:${a.port}`).toBeDefined();
        // The Service selects a memcached pod whose container port is that target port.
        const pods = ofKind('Deployment').filter((d) => matches(obj(obj(svc!.spec).selector), obj(obj(obj(obj(d.spec).template).metadata).labels)));
        expect(pods).toHaveLength(1);
        const pod = obj(obj(obj(pods[0]!.spec).template).spec);
        expect(obj(pod.securityContext).runAsNonRoot).toBe(true);
        const c = obj(arr(pod.containers)[0]);
        expect(str(c.image)).toMatch(/^memcached:/);
        const cport = arr(c.ports).map(obj).find((p) => p.name === port!.targetPort || Number(p.containerPort) === Number(port!.targetPort))!;
        expect(Number(cport.containerPort)).toBe(11211);
        expect(obj(obj(c.livenessProbe).tcpSocket).port).toBe(cport.name);
        expect(obj(obj(c.readinessProbe).tcpSocket).port).toBe(cport.name);
      }
    });

    it.skipIf(!has('kubectl', ['version', '--client']))('kubectl kustomize renders them', () => {
      const r = spawnSync('kubectl', ['kustomize', kdir], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      const rendered = parseAllDocuments(r.stdout).map((d) => obj(d.toJS()));
      expect(rendered.length).toBe(docs.length);
      for (const d of rendered) expect(obj(d.metadata).namespace).toBe(str(kustomization.namespace));
      expect(r.stdout).not.toMatch(/image: promdedup$/m);
    });
  });

  describe('Dockerfile', () => {
    const text = readFileSync(join(deployDir, 'docker/Dockerfile'), 'utf8');
    const instructions = text
      .replace(/\\\n/g, ' ')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => {
        const i = l.search(/\s/);
        return { op: l.slice(0, i).toUpperCase(), rest: l.slice(i + 1).trim() };
      });
    const stages: { op: string; rest: string }[][] = [];
    for (const ins of instructions) {
      if (ins.op === 'FROM') stages.push([]);
      stages[stages.length - 1]?.push(ins);
    }
    const final = stages[stages.length - 1]!;
    const one = (op: string) => final.filter((i) => i.op === op).map((i) => i.rest);

    it('is multi-stage on node:20-slim: a build stage with dev dependencies, a runtime with production ones', () => {
      const arg = instructions.find((i) => i.op === 'ARG' && i.rest.startsWith('NODE_IMAGE='));
      expect(arg?.rest).toBe('NODE_IMAGE=node:20-slim');
      expect(stages.length).toBe(2);
      expect(stages[0]![0]!.rest).toBe('${NODE_IMAGE} AS build');
      expect(final[0]!.rest).toBe('${NODE_IMAGE}');
      expect(stages[0]!.some((i) => i.op === 'RUN' && /npm ci\b/.test(i.rest) && !/--omit=dev/.test(i.rest))).toBe(true);
      expect(stages[0]!.some((i) => i.op === 'RUN' && /npm pack\b/.test(i.rest))).toBe(true);
      expect(one('RUN').some((r) => /npm ci\b.*--omit=dev/.test(r))).toBe(true);
      expect(one('COPY').some((r) => r.startsWith('--from=build '))).toBe(true);
    });

    it('runs as a numeric non-root user, exposes the default ports, and sets the allocator variables of the shebang', () => {
      const user = one('USER');
      expect(user).toHaveLength(1);
      expect(user[0]).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/);
      const exposed = one('EXPOSE').flatMap((e) => e.split(/\s+/)).map(Number).sort();
      expect(exposed).toEqual([10901, 10902, 8080].sort());
      expect(helpText.query).toContain('0.0.0.0:10902');
      expect(helpText.query).toContain('0.0.0.0:10901');
      expect(helpText.ingest).toContain('0.0.0.0:8080');
      const env = one('ENV').join(' ');
      const shebang = readFileSync(join(root, 'src/cmd/main.ts'), 'utf8').split('\n', 1)[0]!;
      for (const m of shebang.matchAll(/(MALLOC_\w+)=(\d+)/g)) expect(env).toContain(`${m[1]}=${m[2]}`);
    });

    it('ENTRYPOINT, CMD and HEALTHCHECK name files the npm package ships (the image is the unpacked package)', () => {
      const exec = (s: string): string[] => JSON.parse(s) as string[];
      const entry = exec(one('ENTRYPOINT')[0]!);
      const health = one('HEALTHCHECK')[0]!;
      expect(health).toMatch(/--interval=\S+ --timeout=\S+/);
      const healthCmd = exec(health.slice(health.indexOf('CMD ') + 4));
      expect(entry[0]).toBe('node');
      expect(healthCmd[0]).toBe('node');
      expect(one('WORKDIR')).toEqual(['/app']);
      for (const p of [...entry, ...healthCmd].filter((a) => a.startsWith('/app/'))) expect(packaged, p).toContain(p.slice('/app/'.length));
      expect(packaged).toContain(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).bin.promdedup);
      // The health check's default URL is the query side's /-/healthy, as ENV says.
      expect(one('ENV').join(' ')).toContain('PROMDEDUP_HEALTH_URL=http://127.0.0.1:10902/-/healthy');
      expect(readFileSync(join(deployDir, 'docker/healthcheck.mjs'), 'utf8')).toContain('PROMDEDUP_HEALTH_URL');
      const cmd = exec(one('CMD')[0]!);
      expect(cmd).toEqual(['--help']);
    });

    it('.dockerignore keeps the build inputs and drops node_modules and dist', () => {
      const ignored = readFileSync(join(root, '.dockerignore'), 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '' && !l.startsWith('#'));
      expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git']));
      const tsconfig = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')) as { include: string[] };
      const needed = ['package.json', 'package-lock.json', 'README.md', 'proto', 'deploy', 'docs', ...tsconfig.include.map((g) => g.split('/')[0]!)];
      for (const n of needed) expect(ignored, n).not.toContain(n);
    });
  });

  it('every flag the deploy files and the docs pass to promdedup query/ingest/query-frontend is one its --help prints', () => {
    const sources = [
      ...files.filter((f) => /\.(service|ya?ml)$|Dockerfile$/.test(f)),
      join(root, 'README.md'),
      join(root, 'docs/deployment.md'),
      join(root, 'docs/query-frontend.md'),
    ];
    let seen = 0;
    for (const f of sources) {
      for (const inv of invocations(readFileSync(f, 'utf8'))) {
        for (const flag of inv.flags) {
          expect(help[inv.sub], `${relative(root, f)}: promdedup ${inv.sub} ${flag}`).toContain(flag);
          seen++;
        }
      }
    }
    // The compose file's commands are YAML lists, not one line.
    const compose = obj(obj(loadYaml(join(deployDir, 'compose/docker-compose.yml'))[0]).services);
    for (const [name, s] of Object.entries(compose)) {
      const command = arr(obj(s).command).map(str);
      if (command[0] !== 'query' && command[0] !== 'ingest' && command[0] !== 'query-frontend') continue;
      for (const flag of flagsOf(command)) {
        expect(help[command[0]], `compose ${name}: ${flag}`).toContain(flag);
        seen++;
      }
    }
    expect(seen).toBeGreaterThan(20);
  });

  it('the systemd units: every flag in --help; the frontend in front of the query unit, caching in memcached', () => {
    const units = Object.fromEntries(files.filter((x) => x.endsWith('.service')).map((f) => [basename(f, '.service'), systemdWords(readFileSync(f, 'utf8'))]));
    expect(Object.keys(units).sort()).toEqual(['promdedup-ingest', 'promdedup-query', 'promdedup-query-frontend']);
    for (const [name, words] of Object.entries(units)) {
      expect(words[0], name).toBe('/usr/local/bin/promdedup');
      const sub = words[1] as Sub;
      expect(`promdedup-${sub}`).toBe(name);
      for (const f of flagsOf(words.slice(2))) expect(help[sub], `${name}.service: ${f}`).toContain(f);
    }
    const frontend = units['promdedup-query-frontend']!;
    const down = new URL(flagValue(frontend, '--query-frontend.downstream-url')!);
    expect(down.hostname).toBe('127.0.0.1');
    expect(Number(down.port)).toBe(portOf(units['promdedup-query']!, '--http-address'));
    // Not on the query unit's port: both run on one host.
    expect(portOf(frontend, '--http-address')).not.toBe(portOf(units['promdedup-query']!, '--http-address'));
    for (const a of memcachedAddresses(frontend)) expect(a).toEqual({ host: '127.0.0.1', port: 11211 });
  });

  it.skipIf(!has('systemd-analyze', ['--version']))('the systemd units pass systemd-analyze verify (with ExecStart pointed at this build)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'promdedup-units-'));
    try {
      for (const f of files.filter((x) => x.endsWith('.service'))) {
        const unit = readFileSync(f, 'utf8');
        expect(unit).toMatch(/^ExecStart=\/usr\/local\/bin\/promdedup (query|ingest|query-frontend) /m);
        // The installed path does not exist here; the same command line on this checkout's build.
        const local = unit.replace('ExecStart=/usr/local/bin/promdedup ', `ExecStart=${process.execPath} ${querierEntryPoint()} `);
        const copy = join(dir, basename(f));
        writeFileSync(copy, local);
        const r = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8', timeout: 30_000 });
        const problems = `${r.stdout}${r.stderr}`
          .split('\n')
          .filter((l) => l.trim() !== '' && !/Failed to .*(connect|bus)|System has not been booted|Unit .*\.target/.test(l));
        expect(problems, relative(root, f)).toEqual([]);
        expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
      }
      expect(statSync(dir).isDirectory()).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

