/** A gate handlers wait at while an instance is being swapped; open lets them through. */
export interface Gate {
  /** True while open: handlers may go on without waiting. */
  isOpen(): boolean;
  wait(): Promise<void>;
  close(): void;
  open(): void;
}

export function createGate(): Gate {
  let closed: { promise: Promise<void>; release: () => void } | null = null;
  return {
    isOpen: () => closed === null,
    async wait() {
      while (closed) await closed.promise;
    },
    close() {
      if (closed) return;
      let release!: () => void;
      const promise = new Promise<void>((r) => (release = r));
      closed = { promise, release };
    },
    open() {
      const current = closed;
      closed = null;
      current?.release();
    },
  };
}
