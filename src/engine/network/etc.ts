/**
 * The files Docker writes for a container's name resolution: `/etc/hosts` (localhost, the
 * container's own address and hostname, `--add-host` entries) and `/etc/resolv.conf` (the
 * embedded DNS server on user networks, the host's resolvers otherwise, `--dns*` overriding).
 */
export interface EtcInput {
  hostname: string;
  domainname?: string;
  /** The container's addresses, first network first. */
  addresses: string[];
  /** `--add-host name:ip` entries (`host-gateway` already resolved). */
  extraHosts: Array<{ name: string; ip: string }>;
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  /** The embedded DNS server's address when the container is on a user network. */
  embeddedDns?: string;
}

const LOCALHOST = `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n`;

export function hostsFile(i: EtcInput): string {
  let out = LOCALHOST;
  for (const h of i.extraHosts) out += `${h.ip}\t${h.name}\n`;
  const names = i.domainname ? `${i.hostname}.${i.domainname} ${i.hostname}` : i.hostname;
  if (i.addresses[0]) out += `${i.addresses[0]}\t${names}\n`;
  return out;
}

/** `hostConf` is the host's /etc/resolv.conf. Loopback resolvers mean nothing inside a container. */
export function resolvConf(i: EtcInput, hostConf: string): string {
  const lines = hostConf.split('\n');
  const hostServers = lines.map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1]).filter((s): s is string => !!s && !/^(127\.|::1$)/.test(s));
  const hostSearch = lines.map((l) => /^\s*search\s+(.*)$/.exec(l)?.[1]).filter(Boolean).join(' ').split(/\s+/).filter(Boolean);
  const hostOptions = lines.map((l) => /^\s*options\s+(.*)$/.exec(l)?.[1]).filter(Boolean).join(' ').split(/\s+/).filter(Boolean);
  // On a user network every query goes to the embedded server, which forwards what it does not know.
  const servers = i.embeddedDns ? [i.embeddedDns] : i.dns?.length ? i.dns : hostServers.length ? hostServers : ['8.8.8.8', '8.8.4.4'];
  const search = i.dnsSearch?.length ? i.dnsSearch : hostSearch;
  const options = i.dnsOptions?.length ? i.dnsOptions : hostOptions;
  let out = servers.map((s) => `nameserver ${s}\n`).join('');
  if (search.length && !(search.length === 1 && search[0] === '.')) out += `search ${search.join(' ')}\n`;
  if (options.length) out += `options ${options.join(' ')}\n`;
  return out;
}
