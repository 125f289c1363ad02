// A custom app: the coordinates of a Helm chart (in a Helm repository, or at a path in a git
// repository) and the namespace it goes to, as written to `apps/coordinates/<name>.yaml`.
import { z } from 'zod';
import { NAME_MAX_LENGTH, NAME_PATTERN } from './layout.ts';

const Name = z.string().max(NAME_MAX_LENGTH).regex(NAME_PATTERN, 'must be a DNS-1123 label');

/** What `paddock app add` is given. */
export const CustomAppInput = z
  .object({
    name: Name,
    /** Defaults to the app's name. */
    namespace: Name.optional(),
    repoURL: z.string().min(1),
    /** A chart in the Helm (or OCI) repository `repoURL`… */
    chart: z.string().min(1).optional(),
    /** …or the folder of a chart in the git repository `repoURL`. */
    path: z.string().min(1).optional(),
    targetRevision: z.string().min(1),
    enabled: z.boolean().default(true),
  })
  .strict()
  .refine((app) => (app.chart === undefined) !== (app.path === undefined), {
    message: 'give exactly one of chart (a Helm repository) and path (a git repository)',
    path: ['chart'],
  });
export type CustomAppInput = z.input<typeof CustomAppInput>;

/**
 * The file `apps/coordinates/<name>.yaml`. The chart's coordinates sit under `source` because
 * the git generator reserves the top-level `path` for the file's own path; both `chart` and `path`
 * are always present (one empty), as the ApplicationSet's templates fail on a missing key.
 */
export const CustomAppFile = z
  .object({
    name: Name,
    enabled: z.boolean(),
    namespace: Name,
    source: z.object({
      repoURL: z.string().min(1),
      chart: z.string(),
      path: z.string(),
      targetRevision: z.string().min(1),
    }),
  })
  .strict();
export type CustomApp = z.infer<typeof CustomAppFile>;

export function customAppFile(input: CustomAppInput): CustomApp {
  const app = CustomAppInput.parse(input);
  return {
    name: app.name,
    enabled: app.enabled,
    namespace: app.namespace ?? app.name,
    source: {
      repoURL: app.repoURL,
      chart: app.chart ?? '',
      path: app.path ?? '',
      targetRevision: app.targetRevision,
    },
  };
}
