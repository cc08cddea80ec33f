import { createClient } from '@herald/client'
import { events } from './events.ts'

// A Node client of the example's stream: the same typed events the page shows.
const url = process.argv[2] ?? `http://localhost:${process.env['PORT'] ?? 3000}/events`
const client = createClient(events, url)
const print = (line: string) => process.stdout.write(`${line}\n`)

client.onState((state) => print(`[${state}]`))
client.onError((error) => print(`[error ${error.code}] ${error.message}`))
client.on('time', (time) => print(`time  ${time.toLocaleTimeString()}`))
client.on('name', (name) => print(`name  ${name}`))
client.on('age', (age) => print(`age   ${age} (next year ${age + 1})`))

process.once('SIGINT', () => client.close())
