/** Tools about Paddock itself: who am I, health, doctor. */
import type { PaddockTool } from '../tool.ts';

export const systemTools: PaddockTool[] = [];
