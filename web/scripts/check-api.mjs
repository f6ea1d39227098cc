// check-api fails when src/types/api.d.ts is not what `npm run gen:api`
// makes from docs/api/openapi.yaml, so the committed types never drift from
// the contract. (`npm run build` regenerates them and type-checks the UI
// against them: a contract change that breaks the UI breaks the build.)
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const tmp = path.join(web, 'node_modules', '.tmp', 'api.d.ts')
mkdirSync(path.dirname(tmp), { recursive: true })
const bin = path.join(web, 'node_modules', '.bin', 'openapi-typescript')
const res = spawnSync(bin, ['../docs/api/openapi.yaml', '--default-non-nullable=false', '-o', tmp], { cwd: web, encoding: 'utf8' })
if (res.status !== 0) {
  process.stderr.write(res.stderr)
  process.exit(res.status ?? 1)
}
const committed = readFileSync(path.join(web, 'src', 'types', 'api.d.ts'), 'utf8')
if (readFileSync(tmp, 'utf8') !== committed) {
  console.error('web/src/types/api.d.ts is out of date with docs/api/openapi.yaml: run `npm run gen:api` in web/ (or `make web-generate`) and commit it.')
  process.exit(1)
}
console.log('web/src/types/api.d.ts matches docs/api/openapi.yaml')
