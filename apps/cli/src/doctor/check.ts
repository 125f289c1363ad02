// One doctor check's outcome and how a list of them prints.

export const CheckStatus = { Ok: 'ok', Warn: 'warn', Fail: 'fail' } as const;
export type CheckStatus = (typeof CheckStatus)[keyof typeof CheckStatus];

/** What one probe found: `fix` says what to do when it is not `ok`. */
export type DoctorCheck = {
  name: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
};

export function check(
  name: string,
  status: CheckStatus,
  detail: string,
  fix?: string,
): DoctorCheck {
  return { name, status, detail, ...(fix !== undefined && status !== CheckStatus.Ok && { fix }) };
}

function marker(status: CheckStatus, isFancy: boolean): string {
  switch (status) {
    case CheckStatus.Ok:
      return isFancy ? '\x1b[32m✓\x1b[0m' : 'ok  ';
    case CheckStatus.Warn:
      return isFancy ? '\x1b[33m!\x1b[0m' : 'warn';
    case CheckStatus.Fail:
      return isFancy ? '\x1b[31m✗\x1b[0m' : 'FAIL';
    default: {
      const unhandled: never = status;
      throw new Error(`unknown status ${String(unhandled)}`);
    }
  }
}

/**
 * One row per check, `✓/!/✗ CHECK DETAIL` on a colour terminal, `ok/warn/FAIL CHECK DETAIL`
 * otherwise, each problem followed by an indented `fix:` line.
 */
export function formatChecks(
  checks: readonly DoctorCheck[],
  options: { isFancy: boolean },
): string {
  const width = Math.max(0, ...checks.map((c) => c.name.length));
  return checks
    .map((c) => {
      const row = `${marker(c.status, options.isFancy)} ${c.name.padEnd(width)}  ${c.detail}`;
      return c.fix === undefined ? row : `${row}\n${' '.repeat(width + 7)}fix: ${c.fix}`;
    })
    .join('\n')
    .concat('\n');
}

export function hasFailure(checks: readonly DoctorCheck[]): boolean {
  return checks.some((c) => c.status === CheckStatus.Fail);
}
