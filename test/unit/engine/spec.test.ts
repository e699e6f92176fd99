/** Unit tests for OCI spec generation: Docker's defaults, limits, capabilities, seccomp. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { initialState, type ContainerRecord } from '../../../src/engine/containers/record.js';
import { DEFAULT_CAPS } from '../../../src/engine/runtime/defaults.js';
import { buildSpec, capabilities, mergeEnv } from '../../../src/engine/runtime/spec.js';
import { seccompProfile } from '../../../src/engine/runtime/seccomp.js';
import { isKind } from '../../../src/lib/errors.js';

function rec(hc: ContainerRecord['HostConfig'] = {}): ContainerRecord {
  return {
    Id: 'a'.repeat(64), Name: '/t', Created: '', ImageRef: 'busybox', ImageId: 'sha256:x', ChainIds: [], Path: 'sh', Args: ['-c', 'true'],
    Config: { Image: 'busybox', Hostname: 'h1', Env: [] }, HostConfig: hc, State: initialState(), RestartCount: 0,
  };
}
const user = { uid: 0, gid: 0, additionalGids: [], home: '/root' };
const etc = { hostname: '/x/hostname', hosts: '/x/hosts', resolvConf: '/x/resolv.conf' };

describe('OCI spec', () => {
  it('uses Docker defaults: 14 caps, masked paths, five namespaces, seccomp', () => {
    const s = buildSpec({ rec: rec(), env: [], user, etcFiles: etc, cgroupParent: '/berth-t' }) as any;
    assert.equal(s.process.capabilities.bounding.length, 14);
    assert.deepEqual(s.linux.namespaces.map((n: any) => n.type).sort(), ['ipc', 'mount', 'network', 'pid', 'uts']);
    assert.ok(s.linux.maskedPaths.includes('/proc/kcore'));
    assert.ok(s.linux.readonlyPaths.includes('/proc/sys'));
    assert.equal(s.linux.cgroupsPath, `/berth-t/${'a'.repeat(64)}`);
    assert.ok(s.linux.seccomp.syscalls[0].names.includes('mount'));
    assert.ok(s.mounts.some((m: any) => m.destination === '/etc/hosts' && m.source === '/x/hosts'));
  });
  it('maps memory, cpus and pids limits', () => {
    const s = buildSpec({ rec: rec({ Memory: 64 << 20, NanoCpus: 1.5e9, PidsLimit: 10 }), env: [], user, etcFiles: etc, cgroupParent: '/p' }) as any;
    assert.deepEqual(s.linux.resources.memory, { limit: 64 << 20, swap: 128 << 20 });
    assert.deepEqual(s.linux.resources.cpu, { period: 100000, quota: 150000 });
    assert.deepEqual(s.linux.resources.pids, { limit: 10 });
  });
  it('wraps the command with the init for --init', () => {
    const s = buildSpec({ rec: rec({ Init: true }), env: [], user, etcFiles: etc, initBinary: '/usr/bin/tini-static', cgroupParent: '/p' }) as any;
    assert.deepEqual(s.process.args, ['/sbin/docker-init', '--', 'sh', '-c', 'true']);
  });
  it('privileged drops seccomp and masking and grants every capability', () => {
    const s = buildSpec({ rec: rec({ Privileged: true }), env: [], user, etcFiles: etc, cgroupParent: '/p' }) as any;
    assert.equal(s.linux.seccomp, undefined);
    assert.equal(s.linux.maskedPaths, undefined);
    assert.ok(s.process.capabilities.bounding.includes('CAP_SYS_ADMIN'));
  });
});

describe('capabilities', () => {
  it('adds and drops with or without the CAP_ prefix, and rejects unknown ones', () => {
    const caps = capabilities(rec({ CapAdd: ['NET_ADMIN'], CapDrop: ['cap_chown'] }));
    assert.ok(caps.includes('CAP_NET_ADMIN'));
    assert.ok(!caps.includes('CAP_CHOWN'));
    assert.deepEqual(capabilities(rec({ CapDrop: ['ALL'], CapAdd: ['KILL'] })), ['CAP_KILL']);
    assert.throws(() => capabilities(rec({ CapAdd: ['BOGUS'] })), (e) => isKind(e, 'InvalidArgument') && /unknown capability/.test(e.message));
  });
  it('seccomp allows calls whose capability the container holds', () => {
    const withAdmin = seccompProfile(new Set([...DEFAULT_CAPS, 'CAP_SYS_ADMIN'])) as any;
    assert.ok(!withAdmin.syscalls[0].names.includes('mount'));
    const plain = seccompProfile(new Set(DEFAULT_CAPS)) as any;
    assert.ok(plain.syscalls[0].names.includes('ptrace'));
    assert.ok(plain.syscalls.some((s: any) => s.names[0] === 'clone' && s.args?.[0].value === 0x10000000));
  });
});

describe('environment', () => {
  it('lets user variables override the image and adds PATH, HOSTNAME, HOME, TERM', () => {
    const env = mergeEnv(['PATH=/img', 'A=1'], ['A=2', 'B=3'], 'h', true, '/root');
    assert.deepEqual(env, ['PATH=/img', 'HOSTNAME=h', 'A=2', 'B=3', 'TERM=xterm', 'HOME=/root']);
  });
});
