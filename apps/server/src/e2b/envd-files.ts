/** envd's plain HTTP routes: `GET /files` (download) and `POST /files` (upload). */
import type { EnvdHttpRoute } from './e2b-call.ts';

export const ENVD_HTTP_ROUTES: readonly EnvdHttpRoute[] = [];
