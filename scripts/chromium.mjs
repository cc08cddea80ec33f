// Debian's headless Chromium, launched one way for every browser test of the repository (it runs
// as root, hence no sandbox; no GPU, no background traffic).
import { chromium } from 'playwright-core'

/** Launches Debian's headless Chromium (`CHROMIUM_PATH`, else /usr/bin/chromium). */
export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  })
}
