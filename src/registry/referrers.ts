/**
 * `GET /v2/<name>/referrers/<digest>` (OCI Distribution 1.1): an image index listing the
 * repository's manifests whose `subject` is `<digest>` — signatures, SBOMs and other
 * artifacts attached to an image. The index is kept as entries written when such a manifest
 * is pushed (see RegistryStorage), so answering never scans the repository.
 */
import { regErr } from './errors.js';
import { sendJson, type Ctx } from './http.js';
import { MEDIA } from './manifest-schema.js';
import { isDigestLike, isSha256 } from './names.js';

/**
 * Answers with the index. An unknown subject (or repository) is an empty index, never 404, as
 * the spec requires; `?artifactType=` filters and is then named in `OCI-Filters-Applied`.
 */
export async function listReferrers(ctx: Ctx): Promise<void> {
  const subject = ctx.param;
  if (!isDigestLike(subject)) throw regErr('DIGEST_INVALID', `invalid digest "${subject}"`, { digest: subject });
  let manifests = isSha256(subject) ? await ctx.storage.referrers(ctx.name, subject) : [];
  const artifactType = ctx.url.searchParams.get('artifactType');
  const headers: Record<string, string> = {};
  if (artifactType !== null) {
    manifests = manifests.filter((m) => m.artifactType === artifactType);
    headers['OCI-Filters-Applied'] = 'artifactType';
  }
  sendJson(ctx.res, 200, { schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests }, { ...headers, 'Content-Type': MEDIA.ociIndex });
}
