import fs from 'node:fs'
function load(f) {
  const s = JSON.parse(fs.readFileSync(f, 'utf8'))
  const m = s.snapshot.meta, nf = m.node_fields.length
  const types = m.node_types[0], ti = m.node_fields.indexOf('type'), ni = m.node_fields.indexOf('name'), si = m.node_fields.indexOf('self_size')
  const agg = new Map()
  for (let i = 0; i < s.nodes.length; i += nf) {
    const t = types[s.nodes[i + ti]]; let name = s.strings[s.nodes[i + ni]]
    if (t === 'string' || t === 'concatenated string' || t === 'sliced string') name = '(string)'
    if (t === 'code') name = '(code)'
    const key = `${t}:${name.slice(0, 60)}`
    const a = agg.get(key) ?? { n: 0, size: 0 }; a.n++; a.size += s.nodes[i + si]; agg.set(key, a)
  }
  return agg
}
const [a, b, per] = [load(process.argv[2]), load(process.argv[3]), Number(process.argv[4])]
const rows = []
let total = 0
for (const [k, v] of b) { const o = a.get(k) ?? { n: 0, size: 0 }; const d = v.size - o.size; total += d; if (Math.abs(d) > per * 8) rows.push([k, (v.n - o.n) / per, d / per]) }
rows.sort((x, y) => y[2] - x[2])
for (const r of rows.slice(0, 40)) console.log(r[2].toFixed(1).padStart(8), r[1].toFixed(2).padStart(6), r[0])
console.log('total bytes/conn', (total / per).toFixed(0))
