/** Public surface of endpoint discovery: specs, DNS and file SD, and the set they make. */
export { EndpointDiscovery, type DiscoveredEndpoint, type EndpointDiscoveryOptions } from './endpoint-discovery.js';
export {
  parseEndpointSpec,
  isDynamic,
  endpointAt,
  staticEndpoint,
  endpointKey,
  joinHostPort,
  EndpointSpecError,
  type EndpointSpec,
  type EndpointKind,
  type EndpointAddress,
  type SpecResolution,
} from './spec.js';
export { DnsResolver, type NameResolver, type DnsResolverOptions, type LookupResult, type LookupFailure, type SrvTarget } from './dns.js';
export { FileSd, type FileSdOptions, type FileTarget } from './file-sd.js';
export { parseSdPattern, expandSdPattern, sdFormat, type SdPattern, type SdFormat } from './glob.js';
export { parseTargetGroups, TargetGroupsError, type TargetGroup } from './target-groups.js';
export { resolveSpec, type ResolvedSpec } from './resolve.js';
