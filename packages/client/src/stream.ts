/** A source an iterator can follow: `subscribe` feeds values, `onEnd` says no more will come. */
export interface IteratorSource<T> {
  subscribe(push: (value: T) => void): () => void
  onEnd(end: () => void): () => void
  signal?: AbortSignal | undefined
}

/**
 * Turns pushed values into an async iterator. Values are queued until read, so none is lost
 * between two `next()` calls; the iterator unsubscribes when it ends, however it ends.
 */
export function createIterator<T>(source: IteratorSource<T>): AsyncIterableIterator<T> {
  const queue: T[] = []
  // The reads waiting for a value, oldest first (a caller may call next() again before the
  // last one settled).
  const waiting: ((result: IteratorResult<T>) => void)[] = []
  let ended = false // the source will send nothing more
  let finished = false // cleaned up; every later next() is done

  const finish = (): IteratorResult<T> => {
    if (!finished) {
      finished = true
      ended = true
      unsubscribe()
      stopOnEnd()
      source.signal?.removeEventListener('abort', onAbort)
      for (const resolve of waiting.splice(0)) resolve({ done: true, value: undefined })
    }
    return { done: true, value: undefined }
  }
  const onAbort = () => finish()

  const unsubscribe = source.subscribe((value) => {
    const resolve = waiting.shift()
    if (resolve === undefined) queue.push(value)
    else resolve({ done: false, value })
  })
  const stopOnEnd = source.onEnd(() => {
    // Values already queued are still delivered; only then does the iterator end.
    ended = true
    if (queue.length === 0) finish()
  })
  if (source.signal?.aborted) finish()
  else source.signal?.addEventListener('abort', onAbort, { once: true })

  return {
    next() {
      if (queue.length > 0) return Promise.resolve({ done: false, value: queue.shift() as T })
      if (ended) return Promise.resolve(finish())
      return new Promise((resolve) => {
        waiting.push(resolve)
      })
    },
    return() {
      queue.length = 0
      return Promise.resolve(finish())
    },
    [Symbol.asyncIterator]() {
      return this
    },
  }
}
