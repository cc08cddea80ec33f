// A Herald instance (test-scale-fixtures.ts `startInstance`) in a process of its own, so a test can
// SIGKILL it mid-stream. Started by `startInstanceProcess` as
// `node --import tsx --conditions=@herald/source test-instance-process.ts '<options>'`; it sends
// `{ port }` over IPC, then answers each `{ seq, rooms }` with `{ seq, id }` once the emit resolved
// (the acknowledgement) or `{ seq, error }` once it rejected.
import { isHeraldError } from '@herald/schema'
import { type InstanceCommand, type InstanceProcessOptions, type Room, startInstance } from './test-scale-fixtures.ts'

const options = JSON.parse(process.argv[2] ?? '{}') as InstanceProcessOptions
const instance = await startInstance(options.name, options.redisUrl, options.key, options.instance)

process.on('message', ({ seq, rooms }: InstanceCommand) => {
  const payload = { from: options.name, seq }
  const list = rooms as Room[]
  const emitted = list.length === 0 ? instance.channel.emit('n', payload) : instance.channel.to(list).emit('n', payload)
  emitted.then(
    (id) => process.send?.({ seq, id }),
    (error: unknown) => process.send?.({ seq, error: isHeraldError(error) ? error.code : String(error) }),
  )
})
process.send?.({ port: instance.port })
// Never outlive the test process.
process.once('disconnect', () => process.exit(0))
