/**
 * The client configuration file, shared with the docker CLI: `$DOCKER_CONFIG/config.json`,
 * else `~/.docker/config.json`. Berth reads the settings that change how it behaves
 * (`detachKeys`); a missing or unreadable file means defaults, as for docker.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ClientConfig {
  detachKeys?: string;
}

export function configDir(): string {
  return process.env['DOCKER_CONFIG'] || path.join(os.homedir(), '.docker');
}

let cached: ClientConfig | undefined;

export function clientConfig(): ClientConfig {
  if (cached) return cached;
  try {
    const raw = JSON.parse(readFileSync(path.join(configDir(), 'config.json'), 'utf8')) as Record<string, unknown>;
    cached = { detachKeys: typeof raw['detachKeys'] === 'string' ? raw['detachKeys'] : undefined };
  } catch {
    cached = {};
  }
  return cached;
}

/** The detach keys to use: the flag, else the config file's, else none (the default applies). */
export function detachKeysFor(flag: string | undefined): string | undefined {
  return flag || clientConfig().detachKeys || undefined;
}
