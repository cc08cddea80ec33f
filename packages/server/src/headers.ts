/** The response headers of every stream; `Connection` is added for HTTP/1.x only. */
export const SSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/event-stream; charset=utf-8',
  // no-transform keeps compressing proxies (and koa-compress) from buffering the stream.
  'cache-control': 'no-cache, no-transform',
  // nginx buffers upstream responses unless told not to.
  'x-accel-buffering': 'no',
})
