// Prints the fingerprint of the rich test contract, in the key order argv[2] names ('forward' or
// 'reverse'), as JSON: run by fingerprint.test.ts as a separate `node` process.
import { fingerprintOf } from './fingerprint.ts'
import { richContract } from './test-fingerprint-contracts.ts'

process.stdout.write(JSON.stringify(fingerprintOf(richContract(process.argv[2] === 'reverse'))))
