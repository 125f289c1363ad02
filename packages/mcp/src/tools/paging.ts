/** The `limit` and `continue` of list tools. */
import { z } from 'zod';

export const Paging = {
  limit: z.int().min(1).max(500).optional(),
  continue: z.string().optional().describe('The token a previous call returned'),
};

/** The paging options of a list call, without the undefined ones. */
export const paging = (input: { limit?: number | undefined; continue?: string | undefined }) => ({
  ...(input.limit === undefined ? {} : { limit: input.limit }),
  ...(input.continue === undefined ? {} : { continue: input.continue }),
});
