import { CheckStatus, check, type DoctorCheck } from './check.ts';

export const MIN_NODE_MAJOR = 24;

/** Node.js ≥ 24 runs Paddock's TypeScript sources directly. */
export function checkNodeVersion(version: string): DoctorCheck {
  const major = Number(version.split('.')[0]);
  return major >= MIN_NODE_MAJOR
    ? check('node', CheckStatus.Ok, `v${version}`)
    : check(
        'node',
        CheckStatus.Fail,
        `v${version} is too old (needs ${MIN_NODE_MAJOR} or newer)`,
        'run scripts/setup.sh (it provisions Node.js 24)',
      );
}
