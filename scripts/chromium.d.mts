import type { Browser } from 'playwright-core'

/** Launches Debian's headless Chromium (`CHROMIUM_PATH`, else /usr/bin/chromium). */
export declare function launchChromium(): Promise<Browser>
