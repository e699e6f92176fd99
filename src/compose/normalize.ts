/**
 * One Compose file's top level: `name`, `services`, `networks`, `volumes` (and `version`,
 * which Compose ignores), each checked and normalised. Unknown top-level keys are refused
 * by path, like everything else.
 */
import { bool, isMap, keyValues, map, onlyKeys, str, type Raw } from './check.js';
import { ModelError, type ComposeModel, type NetworkConfig, type VolumeConfig } from './model.js';
import { normalizeService } from './normalize-service.js';

const SERVICE_NAME = /^[a-zA-Z0-9._-]+$/;

/** Normalises a parsed and interpolated file; `baseDir` anchors relative paths. */
export function normalizeFile(raw: Raw, baseDir: string): ComposeModel {
  const top = raw === null || raw === undefined ? {} : raw;
  if (!isMap(top)) throw new ModelError('(root)', 'must be a mapping');
  onlyKeys(top, ['version', 'name', 'services', 'networks', 'volumes', 'configs', 'secrets'], '');
  for (const k of ['configs', 'secrets']) if (top[k] !== undefined) throw new ModelError(k, 'is not supported by berth compose');
  const model: ComposeModel = { services: {}, networks: {}, volumes: {} };
  if (top['name'] !== undefined) model.name = str(top['name'], 'name');
  for (const [name, svc] of Object.entries(map(top['services'] ?? {}, 'services'))) {
    if (!SERVICE_NAME.test(name)) throw new ModelError(`services.${name}`, 'invalid service name: only [a-zA-Z0-9._-] are allowed');
    model.services[name] = normalizeService(svc, `services.${name}`, baseDir);
  }
  for (const [name, n] of Object.entries(map(top['networks'] ?? {}, 'networks'))) model.networks[name] = resource(n, `networks.${name}`, ['name', 'external', 'driver', 'labels', 'internal']);
  for (const [name, v] of Object.entries(map(top['volumes'] ?? {}, 'volumes'))) model.volumes[name] = resource(v, `volumes.${name}`, ['name', 'external', 'driver', 'labels']);
  return model;
}

function resource(v: Raw, p: string, keys: string[]): NetworkConfig & VolumeConfig {
  if (v === null || v === undefined) return {};
  const m = map(v, p);
  onlyKeys(m, keys, p);
  const out: NetworkConfig & VolumeConfig = {};
  if (m['name'] !== undefined) out.name = str(m['name'], `${p}.name`);
  if (m['external'] !== undefined) {
    const e = m['external'];
    // The old `external: {name: x}` form.
    if (isMap(e)) {
      out.external = true;
      if (e['name'] !== undefined) out.name = str(e['name'], `${p}.external.name`);
    } else out.external = bool(e, `${p}.external`);
  }
  if (m['driver'] !== undefined) out.driver = str(m['driver'], `${p}.driver`);
  if (m['labels'] !== undefined) out.labels = keyValues(m['labels'], `${p}.labels`, false) as Record<string, string>;
  if (m['internal'] !== undefined) out.internal = bool(m['internal'], `${p}.internal`);
  return out;
}
