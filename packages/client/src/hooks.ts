/** A set of callbacks called in the order they were added. */
export interface Hooks<TArgs extends unknown[]> {
  /** Adds a callback, for one call only when `once`; returns the function that removes it. */
  add(fn: (...args: TArgs) => void, once?: boolean): () => void
  remove(fn: (...args: TArgs) => void): void
  /** Calls every callback; one that throws is reported to `onThrow` and the rest still run. */
  call(onThrow: (error: unknown) => void, ...args: TArgs): void
  readonly size: number
}

/** Creates an empty set of callbacks. */
export function createHooks<TArgs extends unknown[]>(): Hooks<TArgs> {
  const fns = new Map<(...args: TArgs) => void, boolean>()
  return {
    add(fn, once = false) {
      fns.set(fn, once)
      return () => fns.delete(fn)
    },
    remove(fn) {
      fns.delete(fn)
    },
    call(onThrow, ...args) {
      // Iterate over a copy: a callback may add or remove callbacks. As with EventTarget, one
      // added meanwhile waits for the next call, and one removed meanwhile is not called.
      for (const [fn, once] of [...fns]) {
        if (!fns.has(fn)) continue
        if (once) fns.delete(fn)
        try {
          fn(...args)
        } catch (error) {
          onThrow(error)
        }
      }
    },
    get size() {
      return fns.size
    },
  }
}
