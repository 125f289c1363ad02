/** Tools over templates: list, get, resolve (after inheritance, with provenance). */
import type { PaddockTool } from '../tool.ts';

export const templateTools: PaddockTool[] = [];
