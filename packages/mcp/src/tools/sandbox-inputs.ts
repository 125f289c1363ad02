/** Input fields the sandbox tools share. */
import { z } from 'zod';

export const SandboxName = z.string().min(1).describe('The sandbox name');
export const AbsolutePath = z.string().regex(/^\/[^\0]*$/, 'must be an absolute path');
export const EnvMap = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string());
