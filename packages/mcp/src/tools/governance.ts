/** Tools over governance: the effective policy, usage, audit records, credential names. */
import type { PaddockTool } from '../tool.ts';

export const governanceTools: PaddockTool[] = [];
