/**
 * Content hashes (sha256, hex) of what an episode ran on: data files, task files, policy texts,
 * single tasks. Hashes are of content only (never of paths or timestamps), so moving the data
 * folder does not change them.
 */
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { PyJson, type PyValue } from "@tau-sim/engine"

export const sha256 = (content: string | Uint8Array): string => createHash("sha256").update(content).digest("hex")

/** Hash of several named parts; names are base names so the folder location does not matter. */
const hashParts = (parts: ReadonlyArray<readonly [string, string | Uint8Array]>): string => {
  const h = createHash("sha256")
  for (const [name, content] of [...parts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : content
    h.update(`${name}\u0000${bytes.length}\u0000`)
    h.update(bytes)
  }
  return h.digest("hex")
}

/** Hash of the exact bytes of some files (by base name and content). */
export const hashFiles = (files: ReadonlyArray<string>): string =>
  hashParts(files.map((f) => [path.basename(f), fs.readFileSync(f)] as const))

/** Hash of named texts (e.g. policy variants). */
export const hashTexts = (texts: Readonly<Record<string, string | undefined>>): string =>
  hashParts(Object.entries(texts).filter((e): e is [string, string] => typeof e[1] === "string"))

/** Hash of one task: its JSON with sorted keys (Python `json.dumps(..., sort_keys=True)`). */
export const taskContentHash = (task: unknown): string => sha256(PyJson.dumpsSorted(task as PyValue))
