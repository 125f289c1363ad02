/** E2B's control API (sandboxes: create, list, get, kill, timeout, connect), on Paddock's services. */
import type { ControlRoute } from './e2b-call.ts';

export const CONTROL_ROUTES: readonly ControlRoute[] = [];
