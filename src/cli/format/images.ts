/**
 * `images` and `history` output: row contexts after docker's formatter.imageContext and
 * historyContext, the default tables (`REPOSITORY   TAG   IMAGE ID   CREATED   SIZE`,
 * `IMAGE   CREATED   CREATED BY   SIZE   COMMENT`), and the expansion of one image summary
 * into one row per repository:tag (plus digest rows with `--digests`).
 */
import { familiarName, parseNormalizedNamed } from '../reference.js';
import { RowContext, TABLE, renderRows } from './formatter.js';
import { STRUCT_NAME } from './template.js';
import { ellipsis, goTimeString, humanSince, humanSize, truncateId } from './units.js';

/** The fields of `GET /images/json` items that `images` reads. */
export interface ImageSummary {
  Id: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  Created?: number;
  Size?: number;
  SharedSize?: number;
  Containers?: number;
}

/** One entry of `GET /images/{name}/history`. */
export interface HistoryItem {
  Id: string;
  Created: number;
  CreatedBy?: string;
  Size?: number;
  Comment?: string;
  Tags?: string[] | null;
}

const DEFAULT_TABLE = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';
const DIGEST_TABLE =
  'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';

const IMAGE_HEADERS: Record<string, string> = {
  ID: 'IMAGE ID',
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  Digest: 'DIGEST',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  Containers: 'CONTAINERS',
  VirtualSize: 'SIZE',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
};

/** One `images` row: an image shown under one repository and tag. */
export class ImageRow extends RowContext {
  protected readonly jsonFields = [
    'Containers', 'CreatedAt', 'CreatedSince', 'Digest', 'ID', 'Repository', 'SharedSize', 'Size', 'Tag',
    'UniqueSize', 'VirtualSize',
  ] as const;

  constructor(
    private readonly i: ImageSummary,
    readonly Repository: string,
    readonly Tag: string,
    readonly Digest: string,
    private readonly trunc: boolean,
    private readonly now = Date.now(),
  ) {
    super();
  }

  get [STRUCT_NAME](): string {
    return '*formatter.imageContext';
  }

  get ID(): string {
    return this.trunc ? truncateId(this.i.Id) : this.i.Id;
  }

  get CreatedSince(): string {
    // docker tests time.Unix(Created).IsZero(), which is never true: 0 shows as "56 years ago".
    return humanSince(this.i.Created ?? 0, this.now);
  }

  get CreatedAt(): string {
    return goTimeString(new Date((this.i.Created ?? 0) * 1000));
  }

  get Size(): string {
    return humanSize(this.i.Size ?? 0, 3);
  }

  get VirtualSize(): string {
    return humanSize(this.i.Size ?? 0);
  }

  get Containers(): string {
    return this.i.Containers === undefined || this.i.Containers === -1 ? 'N/A' : String(this.i.Containers);
  }

  get SharedSize(): string {
    return this.i.SharedSize === undefined || this.i.SharedSize === -1 ? 'N/A' : humanSize(this.i.SharedSize);
  }

  get UniqueSize(): string {
    if (this.i.SharedSize === undefined || this.i.SharedSize === -1 || this.i.Size === -1) return 'N/A';
    return humanSize((this.i.Size ?? 0) - this.i.SharedSize);
  }
}

function isDangling(img: ImageSummary): boolean {
  const tags = img.RepoTags ?? [];
  const digests = img.RepoDigests ?? [];
  if (tags.length === 0 && digests.length === 0) return true;
  return tags.length === 1 && tags[0] === '<none>:<none>' && digests.length === 1 && digests[0] === '<none>@<none>';
}

/** Options of `images` rendering. */
export interface ImagesFormatOptions {
  format?: string;
  quiet?: boolean;
  digests?: boolean;
  trunc?: boolean;
  now?: number;
}

/** NewImageFormat: the effective format for `images` flags. */
export function imageFormat(source: string | undefined, quiet: boolean, digest: boolean): string {
  if (!source || source === TABLE) return quiet ? '{{.ID}}' : digest ? DIGEST_TABLE : DEFAULT_TABLE;
  if (source.startsWith(TABLE) && digest && !source.includes('{{.Digest}}')) return `${source}\t{{.Digest}}`;
  return source;
}

/** Expands image summaries into rows: one per repo:tag, digest-only rows, `<none>` for dangling. */
export function imageRows(images: readonly ImageSummary[], opts: ImagesFormatOptions & { format: string }): ImageRow[] {
  const trunc = opts.trunc ?? true;
  const needDigest = (opts.digests ?? false) || opts.format.includes('{{.Digest}}');
  const rows: ImageRow[] = [];
  for (const img of images) {
    const make = (repo: string, tag: string, digest: string) => new ImageRow(img, repo, tag, digest, trunc, opts.now);
    if (isDangling(img)) {
      rows.push(make('<none>', '<none>', '<none>'));
      continue;
    }
    // Maps keep insertion order, which makes our output stable where Go's map order is random.
    const repoTags = new Map<string, string[]>();
    const repoDigests = new Map<string, string[]>();
    for (const s of img.RepoTags ?? []) {
      try {
        const ref = parseNormalizedNamed(s);
        if (ref.tag === undefined) continue;
        const name = familiarName(ref);
        repoTags.set(name, [...(repoTags.get(name) ?? []), ref.tag]);
      } catch {
        continue;
      }
    }
    for (const s of img.RepoDigests ?? []) {
      try {
        const ref = parseNormalizedNamed(s);
        if (ref.digest === undefined) continue;
        const name = familiarName(ref);
        repoDigests.set(name, [...(repoDigests.get(name) ?? []), ref.digest]);
      } catch {
        continue;
      }
    }
    for (const [repo, tags] of repoTags) {
      const digests = needDigest ? (repoDigests.get(repo) ?? []) : [];
      repoDigests.delete(repo);
      for (const tag of tags) {
        if (digests.length === 0) rows.push(make(repo, tag, '<none>'));
        else for (const d of digests) rows.push(make(repo, tag, d));
      }
    }
    for (const [repo, digests] of repoDigests) {
      if (opts.digests) for (const d of digests) rows.push(make(repo, '<none>', d));
      else rows.push(make(repo, '<none>', ''));
    }
  }
  return rows;
}

/** Renders image summaries as `images` prints them. */
export function formatImages(images: readonly ImageSummary[], opts: ImagesFormatOptions = {}): string {
  const format = imageFormat(opts.format, opts.quiet ?? false, opts.digests ?? false);
  return renderRows(format, imageRows(images, { ...opts, format }), IMAGE_HEADERS);
}

const HISTORY_TABLE = 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
const HISTORY_TABLE_RAW = 'table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
const HISTORY_HEADERS: Record<string, string> = {
  ID: 'IMAGE',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  CreatedBy: 'CREATED BY',
  Size: 'SIZE',
  Comment: 'COMMENT',
};
// Created dates before 2000 are shown as N/A: they are placeholders (e.g. reproducible builds).
const EPOCH_2000 = Date.UTC(2000, 0, 1) / 1000;

/** One `history` row (docker's historyContext). */
export class HistoryRow extends RowContext {
  protected readonly jsonFields = ['Comment', 'CreatedAt', 'CreatedBy', 'CreatedSince', 'ID', 'Size'] as const;

  constructor(
    private readonly h: HistoryItem,
    private readonly trunc: boolean,
    private readonly human: boolean,
    private readonly now = Date.now(),
  ) {
    super();
  }

  get [STRUCT_NAME](): string {
    return '*image.historyContext';
  }

  get ID(): string {
    return this.trunc ? truncateId(this.h.Id) : this.h.Id;
  }

  get CreatedAt(): string {
    return rfc3339Local(new Date(this.h.Created * 1000));
  }

  get CreatedSince(): string {
    if (!this.human) return this.CreatedAt;
    if (this.h.Created <= EPOCH_2000) return 'N/A';
    return humanSince(this.h.Created, this.now);
  }

  get CreatedBy(): string {
    const by = (this.h.CreatedBy ?? '').replace(/\t/g, ' ');
    return this.trunc ? ellipsis(by, 45) : by;
  }

  get Size(): string {
    return this.human ? humanSize(this.h.Size ?? 0, 3) : String(this.h.Size ?? 0);
  }

  get Comment(): string {
    return this.h.Comment ?? '';
  }
}

function rfc3339Local(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const off = -d.getTimezoneOffset();
  const zone = off === 0 ? 'Z' : `${off > 0 ? '+' : '-'}${p(Math.trunc(Math.abs(off) / 60))}:${p(Math.abs(off) % 60)}`;
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}${zone}`;
}

/** Options of `history` rendering. */
export interface HistoryFormatOptions {
  format?: string;
  quiet?: boolean;
  human?: boolean;
  trunc?: boolean;
  now?: number;
}

/** Renders image history as `history` prints it. */
export function formatHistory(items: readonly HistoryItem[], opts: HistoryFormatOptions = {}): string {
  const human = opts.human ?? true;
  let format = opts.format || TABLE;
  if (format === TABLE) format = opts.quiet ? '{{.ID}}' : human ? HISTORY_TABLE : HISTORY_TABLE_RAW;
  const rows = items.map((h) => new HistoryRow(h, opts.trunc ?? true, human, opts.now));
  return renderRows(format, rows, HISTORY_HEADERS);
}
