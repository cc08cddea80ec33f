// Hidden before `prelude=runtimes` blocks: the few members of Bun's and Deno's globals the docs'
// fragments use, declared as `bun-types` and Deno's own types have them (neither is installed here).
// biome-ignore-all lint/correctness/noUnusedVariables: used by the fragment
declare const Bun: {
  serve(options: {
    port?: number
    fetch(
      request: Request,
      server: {
        /** Sets this request's idle timeout in seconds; 0 disables it. */
        timeout(request: Request, seconds: number): void
        requestIP(request: Request): { address: string; port: number } | null
      },
    ): Response | Promise<Response>
  }): { stop(closeActiveConnections?: boolean): Promise<void> }
}
declare const Deno: {
  serve(
    options: { port?: number },
    handler: (
      request: Request,
      info: { remoteAddr: { hostname: string; port: number } },
    ) => Response | Promise<Response>,
  ): { shutdown(): Promise<void> }
}
