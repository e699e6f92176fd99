/**
 * Leases on blobs and layer snapshots (containerd's leases; lecture concept: garbage collection
 * must not take what an operation in progress still needs). A pull holds the digests and chain
 * IDs it is fetching until its image is recorded; image removal leaves leased ones alone even
 * when no stored image references them yet.
 */
export class Leases {
  private readonly counts = new Map<string, number>();

  /** Holds `ids` until the returned function is called (idempotent). */
  hold(ids: Iterable<string>): () => void {
    const held = [...new Set(ids)];
    for (const id of held) this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const id of held) {
        const n = (this.counts.get(id) ?? 1) - 1;
        if (n <= 0) this.counts.delete(id);
        else this.counts.set(id, n);
      }
    };
  }

  /** True while some operation holds `id`. */
  has(id: string): boolean {
    return this.counts.has(id);
  }
}
