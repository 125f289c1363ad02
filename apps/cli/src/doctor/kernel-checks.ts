// Privileges and kernel features the local runtime needs: root or rootless, user namespaces.
import { CheckStatus, check, type DoctorCheck } from './check.ts';

/** Reads a small /proc or /sys file; undefined when it does not exist. */
export type ReadText = (path: string) => string | undefined;

/**
 * Whether `paddock up` would run its sandboxes as root or rootless: as root each sandbox user maps
 * to a host uid of its own; otherwise (docs/rootless.md) all map to this uid, through unprivileged
 * user namespaces (see the userns check), without `/dev/pts` inside, and without gVisor.
 */
export function checkRoot(uid: number): DoctorCheck {
  return uid === 0
    ? check('root', CheckStatus.Ok, 'running as root: each sandbox runs as a host uid of its own')
    : check(
        'root',
        CheckStatus.Ok,
        `rootless (uid ${uid}): sandboxes run as uid ${uid} in unprivileged user namespaces, without /dev/pts; gVisor needs root`,
      );
}

/** User namespaces: disabled by sysctl, or unprivileged ones restricted (root is not affected). */
export function checkUserNamespaces(read: ReadText, uid: number): DoctorCheck {
  const max = read('/proc/sys/user/max_user_namespaces')?.trim();
  const clone = read('/proc/sys/kernel/unprivileged_userns_clone')?.trim();
  const apparmor = read('/proc/sys/kernel/apparmor_restrict_unprivileged_userns')?.trim();
  if (max === '0') {
    return check(
      'userns',
      CheckStatus.Fail,
      'user namespaces are disabled (user.max_user_namespaces = 0)',
      'sysctl -w user.max_user_namespaces=15000',
    );
  }
  const restriction =
    clone === '0'
      ? 'kernel.unprivileged_userns_clone = 0'
      : apparmor === '1'
        ? 'kernel.apparmor_restrict_unprivileged_userns = 1'
        : undefined;
  const limit = max === undefined ? '' : ` (max ${max})`;
  if (restriction === undefined) {
    return check('userns', CheckStatus.Ok, `user namespaces enabled${limit}`);
  }
  return uid === 0
    ? check(
        'userns',
        CheckStatus.Ok,
        `enabled for root${limit}; unprivileged ones restricted (${restriction})`,
      )
    : check(
        'userns',
        CheckStatus.Fail,
        `unprivileged user namespaces are restricted (${restriction})`,
        'run as root, or sysctl -w kernel.unprivileged_userns_clone=1 / kernel.apparmor_restrict_unprivileged_userns=0',
      );
}
