/**
 * Writes the manifest `tau data fetch` checks downloads against: for one tau2-bench commit, every
 * file of its `data/tau2/` that we use, as relative path → sha256 and size. Hashes only, never data.
 *
 *   node scripts/tau2-data-manifest.ts [DATA_DIR] [COMMIT]
 *
 * DATA_DIR is a copy of upstream's `data/tau2/` at COMMIT (default: ../shared/tau2-data/tau2, the
 * development copy, byte-identical to that commit's tree; default commit: the conformance one).
 * Other commits already in the manifest are kept.
 */
import { createHash } from "node:crypto"
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const dataDir = path.resolve(process.argv[2] ?? path.join(repo, "../shared/tau2-data/tau2"))
const commit = process.argv[3] ?? "a2c024725189473d2d7cea3a5cfdbcc67478e41f"
const out = path.join(repo, "packages/domains/src/tau2/data-manifest.json")

if (!/^[0-9a-f]{40}$/.test(commit)) throw new Error(`commit must be 40 hex digits, got ${commit}`)
if (!existsSync(path.join(dataDir, "domains"))) throw new Error(`${dataDir} is not a τ² data folder (no domains/)`)

const files: Record<string, { sha256: string; size: number }> = {}
const walk = (dir: string) => {
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const full = path.join(dir, e.name)
    if (e.isDirectory()) walk(full)
    else if (e.isFile()) {
      const bytes = readFileSync(full)
      files[path.relative(dataDir, full).split(path.sep).join("/")] = { sha256: createHash("sha256").update(bytes).digest("hex"), size: bytes.length }
    } else throw new Error(`${full}: not a regular file`)
  }
}
walk(dataDir)

const previous = existsSync(out) ? (JSON.parse(readFileSync(out, "utf8")) as { commits: Record<string, unknown> }) : { commits: {} }
const manifest = {
  description: "sha256 and size of every file of tau2-bench's data/tau2/ that tau-sim uses, per commit (written by scripts/tau2-data-manifest.ts)",
  commits: { ...previous.commits, [commit]: { files } },
}
writeFileSync(out, `${JSON.stringify(manifest, null, 2)}\n`)
process.stdout.write(`wrote ${path.relative(repo, out)}: ${Object.keys(files).length} files of ${commit}\n`)
