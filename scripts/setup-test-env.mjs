// The test command's own setup: makes sure the system programs the suite drives are installed.
// Like `playwright install --with-deps`, it installs them with Debian's apt-get when it can
// (root on Debian); otherwise it stops with the exact command to run. No test is skipped.
import { execFileSync } from 'node:child_process'
import { existsSync, rmSync, writeFileSync } from 'node:fs'

const needs = [
  { what: 'Chromium (browser tests)', path: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', pkg: 'chromium' },
  {
    what: 'redis-server (@herald/redis tests start their own servers)',
    path: process.env.REDIS_SERVER_PATH ?? '/usr/bin/redis-server',
    pkg: 'redis-server',
  },
]
const missing = needs.filter((need) => !existsSync(need.path))
if (missing.length > 0) {
  const packages = missing.map((need) => need.pkg)
  const command = `sudo apt-get update && sudo apt-get install -y ${packages.join(' ')}`
  const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')
  if (!canInstall) {
    console.error(`Missing: ${missing.map((need) => need.what).join(', ')}.\nInstall with:\n  ${command}`)
    process.exit(1)
  }
  console.log(`Installing ${packages.join(', ')} with apt-get…`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  // Debian's redis-server package starts a system Redis on 6379 after installing; the tests start
  // their own on free ports and need none. Where no policy-rc.d exists yet (Docker images ship one),
  // one that denies every service start covers the install, then goes.
  const policy = '/usr/sbin/policy-rc.d'
  const ownPolicy = !existsSync(policy)
  if (ownPolicy)
    writeFileSync(policy, '#!/bin/sh\n# herald setup-test-env: no service starts during install\nexit 101\n', {
      mode: 0o755,
    })
  try {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env })
    execFileSync('apt-get', ['install', '-y', '-qq', ...packages], { stdio: 'inherit', env })
  } finally {
    if (ownPolicy) rmSync(policy, { force: true })
  }
}
