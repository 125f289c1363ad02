import { randomInt } from 'node:crypto';
import { ErrorCode, PaddockError, parseInput, ResourceName } from '@paddock/core';

// Kubernetes' alphabet for generateName suffixes: no vowels (no words), no look-alikes.
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const SUFFIX_LENGTH = 5;
const ATTEMPTS = 8;

/**
 * A name from `metadata.generateName`: the prefix and 5 random characters, retried while
 * `isTaken`. A prefix that cannot make a valid name is `validation_failed`; no free name after a
 * few attempts is `already_exists`.
 */
export function generateName(prefix: string, isTaken: (name: string) => boolean): string {
  for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
    let suffix = '';
    for (let i = 0; i < SUFFIX_LENGTH; i += 1) {
      suffix += SUFFIX_ALPHABET.charAt(randomInt(SUFFIX_ALPHABET.length));
    }
    const candidate = `${prefix}${suffix}`;
    const name = parseInput(ResourceName, candidate, 'generated name', 'metadata.generateName');
    if (!isTaken(name)) return name;
  }
  throw new PaddockError(
    ErrorCode.AlreadyExists,
    `no free name with prefix "${prefix}" after ${ATTEMPTS} attempts`,
    { generateName: prefix },
  );
}
