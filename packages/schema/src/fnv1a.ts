// FNV-1a, 64 bits, over the UTF-8 bytes of a text: a small, fast, synchronous hash that runs the
// same in browsers and Node (no `node:crypto`; `crypto.subtle` is async). Not a cryptographic
// hash: it tells contracts apart, it does not resist someone forging one.

const encoder = new TextEncoder()

/** The FNV-1a 64-bit hash of `text`'s UTF-8 bytes, as 16 lowercase hex digits. */
export function fnv1a64(text: string): string {
  // The 64-bit state as two 32-bit halves, so no BigInt is needed. The prime is 2^40 + 435:
  // h · prime mod 2^64 = h · 435 + (lo << 40), and every product below stays under 2^53.
  let hi = 0xcbf29ce4
  let lo = 0x84222325
  for (const byte of encoder.encode(text)) {
    lo = (lo ^ byte) >>> 0
    const low = lo * 435
    hi = (hi * 435 + Math.floor(low / 0x1_0000_0000) + lo * 256) >>> 0
    lo = low >>> 0
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0')
}
