/**
 * Value parsers behind `run`/`create` flags, with docker's semantics and wording:
 * published ports (`-p [ip:][hostPort:]containerPort[/proto]`, ranges), restart policies,
 * env/label files, and `-e NAME` taking its value from the caller's environment.
 */

/** One host binding of a container port, as HostConfig.PortBindings holds it. */
export interface PortBinding {
  HostIp: string;
  HostPort: string;
}

/** `--restart` parsed into HostConfig.RestartPolicy. */
export interface RestartPolicy {
  Name: string;
  MaximumRetryCount: number;
}

function parseUint16(s: string): number | undefined {
  if (!/^\d+$/.test(s)) return undefined;
  const n = Number(s);
  return n <= 65535 ? n : undefined;
}

function parsePortRange(ports: string): [number, number] | undefined {
  if (ports === '') return undefined;
  if (!ports.includes('-')) {
    const p = parseUint16(ports);
    return p === undefined ? undefined : [p, p];
  }
  const [a, b] = ports.split('-');
  const start = parseUint16(a ?? '');
  const end = parseUint16(b ?? '');
  if (start === undefined || end === undefined || end < start) return undefined;
  return [start, end];
}

function splitProtoPort(raw: string): [string, string] {
  const parts = raw.split('/');
  if (raw === '' || parts[0] === '') return ['', ''];
  if (parts.length === 1) return ['tcp', raw];
  if (parts[1] === '') return ['tcp', parts[0]!];
  return [parts[1]!, parts[0]!];
}

function isIp(s: string): boolean {
  return /^(\d{1,3})(\.\d{1,3}){3}$/.test(s) ? s.split('.').every((o) => Number(o) <= 255) : /^[0-9a-fA-F:.]+$/.test(s) && s.includes(':');
}

/**
 * nat.ParsePortSpecs: `-p` values to ExposedPorts and PortBindings
 * (`8080:80` → `{"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}`).
 */
export function parsePortSpecs(specs: readonly string[]): {
  exposed: Record<string, Record<string, never>>;
  bindings: Record<string, PortBinding[]>;
} {
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, PortBinding[]> = {};
  for (const raw of specs) {
    const parts = raw.split(':');
    const n = parts.length;
    let ip = n >= 3 ? parts.slice(0, n - 2).join(':') : '';
    const hostPortSpec = n >= 2 ? parts[n - 2]! : '';
    const [proto, containerPort] = splitProtoPort(parts[n - 1]!);
    if (ip.startsWith('[')) {
      if (!ip.endsWith(']')) throw new Error(`invalid IP address ${ip}: missing ']' in address`);
      ip = ip.slice(1, -1);
    }
    if (ip !== '' && !isIp(ip)) throw new Error(`invalid IP address: ${ip}`);
    if (containerPort === '') throw new Error(`no port specified: ${raw}<empty>`);
    const cRange = parsePortRange(containerPort);
    if (!cRange) throw new Error(`invalid containerPort: ${containerPort}`);
    let hRange: [number, number] = [0, 0];
    if (hostPortSpec !== '') {
      const h = parsePortRange(hostPortSpec);
      if (!h) throw new Error(`invalid hostPort: ${hostPortSpec}`);
      hRange = h;
      if (cRange[1] - cRange[0] !== h[1] - h[0] && cRange[1] !== cRange[0]) {
        throw new Error(`invalid ranges specified for container and host Ports: ${containerPort} and ${hostPortSpec}`);
      }
    }
    const lproto = proto.toLowerCase();
    if (!['tcp', 'udp', 'sctp'].includes(lproto)) throw new Error(`invalid proto: ${proto}`);
    for (let i = 0; i <= cRange[1] - cRange[0]; i++) {
      let hostPort = hostPortSpec === '' ? '' : String(hRange[0] + i);
      // A single container port with a host range lets the daemon pick a port in that range.
      if (cRange[0] === cRange[1] && hRange[0] !== hRange[1]) hostPort = `${hostPort}-${hRange[1]}`;
      const key = `${cRange[0] + i}/${lproto}`;
      exposed[key] = {};
      (bindings[key] ??= []).push({ HostIp: ip, HostPort: hostPort });
    }
  }
  return { exposed, bindings };
}

/** opts.ParseRestartPolicy: `on-failure:3` → `{Name: "on-failure", MaximumRetryCount: 3}`. */
export function parseRestartPolicy(policy: string): RestartPolicy {
  if (policy === '') return { Name: '', MaximumRetryCount: 0 };
  const colon = policy.indexOf(':');
  const name = colon >= 0 ? policy.slice(0, colon) : policy;
  const count = colon >= 0 ? policy.slice(colon + 1) : '';
  if (colon >= 0 && name === '') throw new Error('invalid restart policy format: no policy provided before colon');
  let max = 0;
  if (count !== '') {
    if (!/^[+-]?\d+$/.test(count)) throw new Error('invalid restart policy format: maximum retry count must be an integer');
    max = Number(count);
  }
  return { Name: name, MaximumRetryCount: max };
}

/** container.ValidateRestartPolicy, worded as the docker client words it. */
export function validateRestartPolicy(p: RestartPolicy): void {
  switch (p.Name) {
    case 'always':
    case 'unless-stopped':
    case 'no':
      if (p.MaximumRetryCount !== 0) {
        let msg = "invalid restart policy: maximum retry count can only be used with 'on-failure'";
        if (p.MaximumRetryCount < 0) msg += ' and cannot be negative';
        throw new Error(msg);
      }
      return;
    case 'on-failure':
      if (p.MaximumRetryCount < 0) throw new Error('invalid restart policy: maximum retry count cannot be negative');
      return;
    case '':
      return;
    default:
      throw new Error(
        `invalid restart policy: unknown policy '${p.Name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`,
      );
  }
}

/**
 * kvfile.Parse for `--env-file`/`--label-file` contents: `#` comments and blank lines skipped,
 * `KEY=value` kept verbatim, a bare `KEY` looked up with `lookup` (omitted when unset).
 */
export function parseKvFile(text: string, lookup?: (key: string) => string | undefined): string[] {
  const lines: string[] = [];
  const rows = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  // A trailing newline does not make an extra (empty) line.
  if (rows[rows.length - 1] === '') rows.pop();
  for (const row of rows) {
    const line = row.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const key = eq >= 0 ? line.slice(0, eq) : line;
    if (key === '') throw new Error(`no variable name on line '${line}'`);
    if (/[\s]/.test(key)) throw new Error(`variable '${key}' contains whitespaces`);
    if (eq >= 0) {
      lines.push(line);
      continue;
    }
    const v = lookup?.(line);
    if (v !== undefined) lines.push(`${key}=${v}`);
  }
  return lines;
}

/** opts.ValidateEnv: `-e NAME` without `=` takes NAME's value from the caller when set. */
export function validateEnv(val: string, env: NodeJS.ProcessEnv): string {
  const eq = val.indexOf('=');
  const key = eq >= 0 ? val.slice(0, eq) : val;
  if (key === '') throw new Error(`invalid environment variable: ${val}`);
  if (eq >= 0) return val;
  const v = env[key];
  return v !== undefined ? `${key}=${v}` : val;
}

/** opts.ConvertKVStringsToMap: `a=b` → `{a: "b"}`, `a` → `{a: ""}`. */
export function kvToMap(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq >= 0) out[v.slice(0, eq)] = v.slice(eq + 1);
    else out[v] = '';
  }
  return out;
}

function normalizeCapability(cap: string): string {
  const c = cap.trim().toUpperCase();
  if (c === 'ALL' || c === 'RESET' || c.startsWith('CAP_')) return c;
  return `CAP_${c}`;
}

/**
 * opts.EffectiveCapAddCapDrop: names normalized to `CAP_X`, `ALL` trumps the rest, a
 * capability both added and dropped is added; sorted, duplicates removed, null when empty.
 */
export function effectiveCaps(add: readonly string[], drop: readonly string[]): { add: string[] | null; drop: string[] | null } {
  let addSet = new Set(add.map(normalizeCapability));
  let dropSet = new Set(drop.map(normalizeCapability));
  if (addSet.has('ALL')) addSet = new Set(['ALL']);
  if (dropSet.has('ALL')) dropSet = new Set(['ALL']);
  const capDrop = [...dropSet].filter((c) => !addSet.has(c) && c !== 'RESET').sort();
  const capAdd = [...addSet].filter((c) => c !== 'RESET').sort();
  return { add: capAdd.length ? capAdd : null, drop: capDrop.length ? capDrop : null };
}
