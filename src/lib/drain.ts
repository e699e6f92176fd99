/** Back-pressure for writable streams. */

type Emitter = { once(ev: string, f: () => void): unknown; off(ev: string, f: () => void): unknown };

/** Waits until a writable drains or closes, removing both listeners afterwards. */
export function waitDrain(w: Emitter): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      w.off('drain', done);
      w.off('close', done);
      resolve();
    };
    w.once('drain', done);
    w.once('close', done);
  });
}
