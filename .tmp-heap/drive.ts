import { fork } from 'node:child_process'
import { connect } from 'node:net'
const mode = process.argv[2]
const child = fork('server.ts', [mode], { execArgv: ['--import', 'tsx', '--expose-gc'], cwd: '/work/main/.tmp-heap' })
const next = () => new Promise<string>((r) => child.once('message', r))
await next()
// warm up a few
const open = async (n: number) => { for (let i = 0; i < n; i++) { const s = connect(4555, '127.0.0.1'); s.write('GET /events HTTP/1.1\r\nHost: x\r\n\r\n'); await new Promise((r) => s.once('data', r)) } }
await open(50)
child.send('a'); console.log(await next())
await open(2000)
child.send('b'); console.log(await next())
child.kill(); process.exit(0)
