// fence-go keeps the Go tools out of node_modules: some npm packages ship Go
// sources (e.g. flatted), and `go build ./...` from the repository root would
// try to compile them. A go.mod makes node_modules a module of its own,
// which `./...` patterns of the main module skip. Run after every install.
import { existsSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'node_modules')
if (existsSync(dir)) writeFileSync(path.join(dir, 'go.mod'), '// Not Go code: keeps `go ... ./...` out of node_modules.\nmodule ignored/node_modules\n')
