/** Public surface of the Prometheus remote-read store. */
export { PrometheusStore, type PrometheusStoreOptions, type SelectStats } from './store.js';
export { remoteRead, RemoteReadError, DEFAULT_ACCEPTED, type RemoteReadOptions, type RemoteReadResult } from './remote-read.js';
export { encodeReadRequest, SeriesCollector, ResponseType, ChunkEncoding, type ReadQuery, type ReadHints, type ResponseTypeValue } from './messages.js';
export { FrameDecoder, FrameError, encodeFrame, DEFAULT_MAX_FRAME_BYTES } from '../../wire/framing.js';
export { crc32c } from '../../wire/crc32c.js';
export { fetchExternalLabels, parseExternalLabels, formatSelector } from './http-api.js';
