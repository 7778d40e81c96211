/** From an endpoint spec to the endpoints it stands for, looking names up as its prefix says. */
import type { NameResolver, SrvTarget } from './dns.js';
import { endpointAt, staticEndpoint, type EndpointAddress, type EndpointSpec } from './spec.js';

export interface ResolvedSpec {
  readonly endpoints: readonly EndpointAddress[];
  /** Failed lookups (their names' last good records were used). */
  readonly errors: readonly Error[];
}

export async function resolveSpec(spec: EndpointSpec, resolver: NameResolver): Promise<ResolvedSpec> {
  switch (spec.resolution) {
    case 'static':
      return { endpoints: [staticEndpoint(spec)], errors: [] };
    case 'dns': {
      const { records, error } = await resolver.addresses(spec.host);
      return { endpoints: records.map((ip) => endpointAt(spec, ip, spec.port!, ip === spec.host ? undefined : spec.host)), errors: error ? [error] : [] };
    }
    case 'dnssrvnoa': {
      const { records, error } = await resolver.srv(spec.host);
      return { endpoints: records.map((t) => endpointAt(spec, t.name, portOf(spec, t))), errors: error ? [error] : [] };
    }
    case 'dnssrv': {
      const { records, error } = await resolver.srv(spec.host);
      const errors = error ? [error] : [];
      const perTarget = await Promise.all(
        records.map(async (t) => {
          const ips = await resolver.addresses(t.name);
          if (ips.error) errors.push(ips.error);
          return ips.records.map((ip) => endpointAt(spec, ip, portOf(spec, t), ip === t.name ? undefined : t.name));
        }),
      );
      return { endpoints: perTarget.flat(), errors };
    }
  }
}

/** A port in the spec wins over the SRV record's, as in Thanos. */
function portOf(spec: EndpointSpec, target: SrvTarget): number {
  return spec.port ?? target.port;
}
