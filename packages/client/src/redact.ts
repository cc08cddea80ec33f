// Error messages end up in logs, and a stream URL often carries a credential: `?token=…` is the
// only way a native EventSource can send one. So every message shows URLs with their userinfo,
// query values and fragment replaced by `***`; the full URL stays on `client.url` and `es.url`.

/** What a credential is shown as. */
export const MASK = '***'

/**
 * `url` without its credentials: userinfo, every query value and the fragment become `***`
 * (`https://***@host/events?token=***`). Works on strings that do not parse as URLs, too.
 */
export function redactUrl(url: string): string {
  const hash = url.indexOf('#')
  const beforeHash = hash === -1 ? url : url.slice(0, hash)
  const question = beforeHash.indexOf('?')
  const head = (question === -1 ? beforeHash : beforeHash.slice(0, question)).replace(
    /^([a-z][a-z0-9+.-]*:[/\\]{2})[^/\\]*@/i,
    `$1${MASK}@`,
  )
  const query =
    question === -1
      ? ''
      : `?${beforeHash
          .slice(question + 1)
          .split('&')
          .map((part) => {
            if (part === '') return part
            const equals = part.indexOf('=')
            return equals === -1 ? MASK : `${part.slice(0, equals + 1)}${MASK}`
          })
          .join('&')}`
  return `${head}${query}${hash === -1 ? '' : `#${MASK}`}`
}
