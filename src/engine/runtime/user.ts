/**
 * Resolving `--user` (`name`, `uid`, `name:group`, `uid:gid`) against the container's own
 * /etc/passwd and /etc/group, as Docker does before starting the process.
 *
 * The files are read from the container's root file system, which the image controls: a
 * symlinked /etc or /etc/passwd could point at host files, so any symlink on the way is refused
 * and the file is treated as absent.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { invalidArgument } from '../../lib/errors.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

async function readInRoot(root: string, rel: string): Promise<string | undefined> {
  let cur = root;
  for (const part of rel.split('/').filter(Boolean)) {
    cur = path.join(cur, part);
    const st = await fs.lstat(cur).catch(() => undefined);
    if (!st || st.isSymbolicLink()) return undefined;
  }
  return fs.readFile(cur, 'utf8').catch(() => undefined);
}

function rows(text: string | undefined): string[][] {
  return (text ?? '').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
}

/** Resolves `spec` (empty means root) inside `rootfs`. */
export async function resolveUser(rootfs: string, spec: string | undefined): Promise<ResolvedUser> {
  const passwd = rows(await readInRoot(rootfs, 'etc/passwd'));
  const groups = rows(await readInRoot(rootfs, 'etc/group'));
  const [userPart = '', groupPart] = (spec ?? '').split(':');
  let uid = 0;
  let gid = 0;
  let home = '/';
  // Supplementary groups come from the user's name; a bare uid without a passwd entry has none.
  let name = '';
  if (userPart === '' || /^\d+$/.test(userPart)) {
    uid = userPart === '' ? 0 : Number(userPart);
    const row = passwd.find((r) => Number(r[2]) === uid);
    if (row) [name, gid, home] = [row[0]!, Number(row[3]), row[5] || '/'];
    else if (uid === 0) home = '/root';
  } else {
    const row = passwd.find((r) => r[0] === userPart);
    if (!row) throw invalidArgument(`unable to find user ${userPart}: no matching entries in passwd file`);
    [name, uid, gid, home] = [row[0]!, Number(row[2]), Number(row[3]), row[5] || '/'];
  }
  if (groupPart !== undefined && groupPart !== '') {
    if (/^\d+$/.test(groupPart)) gid = Number(groupPart);
    else {
      const row = groups.find((r) => r[0] === groupPart);
      if (!row) throw invalidArgument(`unable to find group ${groupPart}: no matching entries in group file`);
      gid = Number(row[2]);
    }
  }
  // Docker lists the primary group among the supplementary ones too (`id` shows groups=<gid>).
  const supplementary = name ? groups.filter((r) => (r[3] ?? '').split(',').includes(name) && Number(r[2]) !== gid).map((r) => Number(r[2])) : [];
  return { uid, gid, additionalGids: [gid, ...supplementary], home };
}
