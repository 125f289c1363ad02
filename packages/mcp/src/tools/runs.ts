/** Tools over agents and runs: list and create agents, start runs, status, events since a cursor, messages, cancel. */
import type { PaddockTool } from '../tool.ts';

export const runTools: PaddockTool[] = [];
