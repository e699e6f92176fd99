/**
 * Container names: Docker's `adjective_surname` convention for generated names, and the
 * validation rule for given ones (`[a-zA-Z0-9][a-zA-Z0-9_.-]+`).
 */
import { randomInt } from 'node:crypto';
import { invalidArgument } from '../../lib/errors.js';

const adjectives = [
  'agile', 'bold', 'brave', 'bright', 'calm', 'clever', 'cosmic', 'curious', 'daring', 'eager', 'fearless', 'gentle',
  'happy', 'jolly', 'keen', 'kind', 'lively', 'lucid', 'merry', 'modest', 'nimble', 'patient', 'quiet', 'quirky',
  'serene', 'sharp', 'steady', 'swift', 'tender', 'tidy', 'vibrant', 'wise', 'witty', 'zealous',
];
// Computer scientists and engineers whose work containers stand on.
const surnames = [
  'allen', 'babbage', 'backus', 'bell', 'cerf', 'codd', 'conway', 'dijkstra', 'engelbart', 'hamilton', 'hopper',
  'kahn', 'kernighan', 'knuth', 'lamport', 'liskov', 'lovelace', 'mccarthy', 'minsky', 'perlman', 'ritchie',
  'shannon', 'sutherland', 'thompson', 'torvalds', 'turing', 'wirth', 'wozniak',
];

/** A fresh `adjective_surname` name not in `taken`. */
export function generateName(taken: (name: string) => boolean): string {
  for (let i = 0; i < 100; i++) {
    const name = `${adjectives[randomInt(adjectives.length)]}_${surnames[randomInt(surnames.length)]}`;
    const candidate = i < 10 ? name : `${name}${randomInt(10)}`;
    if (!taken(candidate)) return candidate;
  }
  return `${adjectives[0]}_${surnames[0]}${randomInt(1_000_000)}`;
}

/** Strips Docker's leading slash and checks the allowed characters. */
export function validateName(raw: string): string {
  const name = raw.startsWith('/') ? raw.slice(1) : raw;
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(name)) throw invalidArgument(`Invalid container name (${raw}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  return name;
}
