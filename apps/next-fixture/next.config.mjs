/** The fixture's Next.js config: no type check of its own (the repo's tsc does that), no AGENTS.md. */
export default {
  typescript: { ignoreBuildErrors: true },
  agentRules: false,
  experimental: { agentUpgrade: false },
}
