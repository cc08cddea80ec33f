// Contracts for the fingerprint tests, built in either key order: the same contract written two
// ways. Imported by fingerprint.test.ts and by test-fingerprint-child.ts, which prints the
// fingerprint from a process of its own.
import * as z from 'zod'
import { defineEvents, text } from './define-events.ts'

/** Builds a record from `entries`, in their order or reversed. */
const ordered = <T>(entries: [string, T][], reverse: boolean): Record<string, T> =>
  Object.fromEntries(reverse ? [...entries].reverse() : entries)

interface Category {
  name: string
  children: Category[]
}

/** A contract that uses most of what Herald carries, its keys (events, fields, topics) in one order or reversed. */
export function richContract(reverse = false) {
  const Category: z.ZodType<Category> = z.lazy(() =>
    z.object(
      ordered<z.ZodType>(
        [
          ['name', z.string()],
          ['children', z.array(Category)],
        ],
        reverse,
      ),
    ),
  ) as never
  const user = z.object(
    ordered<z.ZodType>(
      [
        ['id', z.int().positive()],
        [
          'name',
          z
            .string()
            .min(1)
            .max(64)
            .regex(/^[a-z]+$/i),
        ],
        ['email', z.email().optional()],
        ['born', z.date().nullable()],
        ['balance', z.bigint()],
        ['tags', z.set(z.enum(['a', 'b']))],
        ['scores', z.map(z.string(), z.number().min(0))],
        ['role', z.union([z.literal('admin'), z.literal(1n), z.null()])],
        ['at', z.codec(z.iso.datetime(), z.date(), { decode: (s) => new Date(s), encode: (d) => d.toISOString() })],
        ['count', z.number().default(() => Math.random())],
      ],
      reverse,
    ),
  )
  return defineEvents(
    ordered<z.ZodType | ReturnType<typeof text>>(
      [
        ['user', user],
        ['age', z.number().int()],
        ['plain', text(z.coerce.number())],
        ['tree', Category],
        ['pair', z.tuple([z.string(), z.boolean()], z.number())],
        [
          'kind',
          z.discriminatedUnion('type', [
            z.object({ type: z.literal('a') }),
            z.object({ type: z.literal('b'), n: z.int() }),
          ]),
        ],
      ],
      reverse,
    ),
    {
      topics: ordered<z.ZodType<string | number>>(
        [
          ['room', z.int().positive()],
          ['user', z.string()],
        ],
        reverse,
      ),
    },
  )
}
