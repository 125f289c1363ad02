/** Flag values of the snapshot, volume and fork commands, checked (a bad one names its flag). */
import { ErrorCode, PaddockError, type VolumeMount } from '@paddock/core';

function invalid(flag: string, message: string): PaddockError {
  return new PaddockError(ErrorCode.ValidationFailed, `${flag} ${message}`, {
    issues: [{ path: flag, message }],
  });
}

/** A whole number from `min` to `max` given as `flag`, or undefined when not given. */
export function wholeNumber(
  flag: string,
  raw: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max)
    throw invalid(flag, `must be a whole number from ${min} to ${max}, not "${raw}"`);
  return value;
}

/** `--volume NAME:PATH[:ro|:rw]` → a volume mount. */
export function volumeMount(raw: string): VolumeMount {
  const [name, mountPath, mode, ...rest] = raw.split(':');
  if (
    !name ||
    !mountPath ||
    rest.length > 0 ||
    (mode !== undefined && mode !== 'ro' && mode !== 'rw')
  )
    throw invalid('--volume', `must be NAME:PATH, NAME:PATH:ro or NAME:PATH:rw, not "${raw}"`);
  return { name, mountPath, ...(mode === 'ro' ? { readOnly: true } : {}) };
}

/** Bytes for people: `512B`, `4.0Ki`, `1.5Gi`. */
export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return '';
  const units = ['B', 'Ki', 'Mi', 'Gi', 'Ti'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value}B` : `${value.toFixed(1)}${units[unit]}`;
}
