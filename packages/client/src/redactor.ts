// Credentials in free text (a fetch error's message, a thrown error's): every URL in it shown as
// `redactUrl` shows it, and the credentials of the stream URL masked wherever they appear. Only the
// connection needs it, so it is a module of its own, out of the code a page loads up front.
import { MASK, redactUrl } from './redact.ts'

/** A URL inside free text, such as the message of a fetch error; punctuation after it is not part of it. */
const URL_IN_TEXT = /[a-z][a-z0-9+.-]*:[/\\]{2}[^\s"'<>`]*[^\s"'<>`.,;:!?)\]]/gi
/** Secrets shorter than this are not searched for in free text: masking every `1` would garble `HTTP 401`. */
const MIN_SECRET_LENGTH = 4

/**
 * A function that scrubs text for `url`: every URL in it is shown as `redactUrl` shows it, and
 * the credentials of `url` itself (userinfo, query values, fragment, raw or decoded) are masked
 * wherever they appear.
 */
export function createRedactor(url: string): (text: string) => string {
  const secrets = new Set<string>()
  const add = (value: string) => {
    if (value.length < MIN_SECRET_LENGTH) return
    secrets.add(value)
    try {
      secrets.add(decodeURIComponent(value.replace(/\+/g, ' ')))
    } catch {
      // not percent-encoded text: the raw form is enough
    }
  }
  try {
    const parsed = new URL(url, (globalThis as { location?: { href?: string } }).location?.href)
    add(parsed.username)
    add(parsed.password)
    add(parsed.hash.slice(1))
    for (const part of parsed.search.slice(1).split('&')) add(part.slice(part.indexOf('=') + 1))
  } catch {
    // an unparsable URL: only the URL-shaped parts of the text are scrubbed
  }
  // Longest first, so a secret that contains another is masked whole.
  const ordered = [...secrets].sort((a, b) => b.length - a.length)
  return (text) => {
    let scrubbed = text.replace(URL_IN_TEXT, redactUrl)
    for (const secret of ordered) scrubbed = scrubbed.split(secret).join(MASK)
    return scrubbed
  }
}
