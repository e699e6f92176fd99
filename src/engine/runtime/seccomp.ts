/**
 * Berth's default seccomp profile.
 *
 * Docker ships an allowlist; Berth writes the same policy as a short denylist instead, which a
 * reader can check against the kernel's attack surface at a glance: every system call below is
 * refused with EPERM unless the container holds the capability that legitimately needs it
 * (the same pairing Docker documents). New namespaces through clone(2) are refused flag by flag
 * without CAP_SYS_ADMIN, and clone3 answers ENOSYS so libcs fall back to the filterable clone.
 */

const always = [
  'acct', 'add_key', 'create_module', 'get_kernel_syms', 'kexec_file_load', 'kexec_load', 'keyctl', 'lookup_dcookie',
  'nfsservctl', 'query_module', 'request_key', 'uselib', 'userfaultfd', 'ustat', 'vm86', 'vm86old', '_sysctl',
  'sysfs', 'open_by_handle_at', 'name_to_handle_at', 'kcmp', 'swapon', 'swapoff',
];

/** System calls allowed only with the named capability. */
const byCapability: Record<string, string[]> = {
  CAP_SYS_ADMIN: [
    'mount', 'umount', 'umount2', 'unshare', 'setns', 'pivot_root', 'bpf', 'perf_event_open', 'fanotify_init',
    'lookup_dcookie', 'quotactl', 'setdomainname', 'sethostname', 'fsconfig', 'fsmount', 'fsopen', 'fspick',
    'move_mount', 'open_tree', 'mount_setattr',
  ],
  CAP_SYS_BOOT: ['reboot'],
  CAP_SYS_MODULE: ['init_module', 'finit_module', 'delete_module'],
  CAP_SYS_PTRACE: ['ptrace', 'process_vm_readv', 'process_vm_writev'],
  CAP_SYS_RAWIO: ['iopl', 'ioperm'],
  CAP_SYS_TIME: ['settimeofday', 'stime', 'clock_settime', 'clock_settime64', 'adjtimex', 'clock_adjtime', 'clock_adjtime64'],
  CAP_SYS_NICE: ['mbind', 'set_mempolicy', 'move_pages', 'get_mempolicy'],
  CAP_SYSLOG: ['syslog'],
};

// Namespace flags of clone(2): CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET.
const cloneNamespaceFlags = [0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000];

const EPERM = 1;
const ENOSYS = 38;

/** The profile for a container holding `caps` (names with the CAP_ prefix). */
export function seccompProfile(caps: Set<string>): object {
  const denied = new Set(always);
  for (const [cap, calls] of Object.entries(byCapability)) if (!caps.has(cap)) calls.forEach((c) => denied.add(c));
  // Some calls are listed under two capabilities; holding either one allows them.
  for (const [cap, calls] of Object.entries(byCapability)) if (caps.has(cap)) calls.forEach((c) => denied.delete(c));
  const syscalls: object[] = [
    { names: [...denied].sort(), action: 'SCMP_ACT_ERRNO', errnoRet: EPERM },
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS },
  ];
  if (!caps.has('CAP_SYS_ADMIN')) {
    for (const flag of cloneNamespaceFlags) {
      syscalls.push({ names: ['clone'], action: 'SCMP_ACT_ERRNO', errnoRet: EPERM, args: [{ index: 0, value: flag, valueTwo: flag, op: 'SCMP_CMP_MASKED_EQ' }] });
    }
  }
  return { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], syscalls };
}
