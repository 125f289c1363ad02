// Public surface of @paddock/http: the HTTP pieces every Paddock listener shares.

export { writeWithBackpressure } from './backpressure.ts';
export { BodyProblem, BodyReadError, isBodyProblem } from './body-error.ts';
export { type EventStream, type SseEvent, startEventStream } from './event-stream.ts';
export { closeServer, listen } from './listen.ts';
export {
  Counter,
  gauge,
  Histogram,
  type MetricLabels,
  MetricsRegistry,
} from './metrics.ts';
export { type NdjsonStream, startNdjsonStream } from './ndjson-stream.ts';
export { readBody } from './read-body.ts';
export { type SendOptions, sendJson, sendWhole, type WholeAnswer } from './send-whole.ts';
export type { StreamOptions } from './stream-response.ts';
export type { DrainLimits } from './unread-body.ts';
export { type Answer, type Upload, uploadInPieces } from './upload-client.ts';
