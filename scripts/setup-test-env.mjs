// The test command's own setup: makes sure the system programs the suite drives are installed.
// Like `playwright install --with-deps`, it installs them with Debian's apt-get when it can
// (root on Debian); otherwise it stops with the exact command to run. No test is skipped.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const needs = [
  { what: 'Chromium (browser tests)', path: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', pkg: 'chromium' },
]
const missing = needs.filter((need) => !existsSync(need.path))
if (missing.length > 0) {
  const packages = missing.map((need) => need.pkg)
  const command = `apt-get update && apt-get install -y ${packages.join(' ')}`
  const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')
  if (!canInstall) {
    console.error(`Missing: ${missing.map((need) => need.what).join(', ')}.\nInstall with:\n  sudo ${command}`)
    process.exit(1)
  }
  console.log(`Installing ${packages.join(', ')} with apt-get…`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env })
  execFileSync('apt-get', ['install', '-y', '-qq', ...packages], { stdio: 'inherit', env })
}
