// Debian's headless Chromium for the client's browser tests.
import { type Browser, chromium } from 'playwright-core'

/** Launches Debian's headless Chromium (`CHROMIUM_PATH`, else /usr/bin/chromium). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  })
}
