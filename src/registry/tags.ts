/**
 * Listings: `GET /v2/<name>/tags/list` and `GET /v2/_catalog`, both in lexical order and
 * paginated with `n` (page size) and `last` (the last entry of the previous page). When a page
 * is cut short, a `Link: <…?last=…&n=…>; rel="next"` header points at the next one, in the
 * form distribution sends.
 */
import { regErr } from './errors.js';
import { sendJson, type Ctx } from './http.js';

/** distribution's catalog limit and default page size; larger `n` is PAGINATION_NUMBER_INVALID. */
export const MAX_ENTRIES = 1000;

/**
 * The page size asked for: undefined when absent or not a number (distribution ignores
 * those), PAGINATION_NUMBER_INVALID when negative or above MAX_ENTRIES.
 */
export function pageSize(url: URL): number | undefined {
  const raw = url.searchParams.get('n');
  if (raw === null || !/^-?\d+$/.test(raw)) return undefined;
  const n = Number(raw);
  if (n < 0 || n > MAX_ENTRIES) throw regErr('PAGINATION_NUMBER_INVALID', undefined, { n });
  return n;
}

/** Entries after `last` (exclusive), at most `n` of them, and whether more follow. */
export function paginate(sorted: string[], n: number | undefined, last: string | null): { items: string[]; more: boolean } {
  const rest = last ? sorted.filter((s) => s > last) : sorted;
  if (n === undefined || rest.length <= n) return { items: rest, more: false };
  return { items: rest.slice(0, n), more: n > 0 };
}

function nextLink(pathname: string, last: string, n: number): string {
  return `<${pathname}?${new URLSearchParams({ last, n: String(n) })}>; rel="next"`;
}

/** `GET /v2/<name>/tags/list`: NAME_UNKNOWN for a repository that does not exist. */
export async function listTags(ctx: Ctx): Promise<void> {
  if (!(await ctx.storage.hasRepository(ctx.name))) throw regErr('NAME_UNKNOWN', undefined, { name: ctx.name });
  const n = pageSize(ctx.url);
  const { items, more } = paginate(await ctx.storage.tags(ctx.name), n, ctx.url.searchParams.get('last'));
  const headers: Record<string, string> = more ? { Link: nextLink(ctx.url.pathname, items.at(-1)!, n!) } : {};
  sendJson(ctx.res, 200, { name: ctx.name, tags: items }, headers);
}

/** `GET /v2/_catalog`: every repository, MAX_ENTRIES per page unless `n` says fewer. */
export async function listCatalog(ctx: Ctx): Promise<void> {
  const n = pageSize(ctx.url) ?? MAX_ENTRIES;
  const { items, more } = paginate(await ctx.storage.repositories(), n, ctx.url.searchParams.get('last'));
  const headers: Record<string, string> = more ? { Link: nextLink(ctx.url.pathname, items.at(-1)!, n) } : {};
  sendJson(ctx.res, 200, { repositories: items }, headers);
}
