/** The platform this daemon runs images for (OCI platform names, lecture concept: images are per-architecture). */
const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', ia32: '386' };

/** `{os: "linux", architecture: "amd64"}` on an x86-64 host. */
export function hostPlatform(): { os: string; architecture: string } {
  return { os: 'linux', architecture: ARCH[process.arch] ?? process.arch };
}
