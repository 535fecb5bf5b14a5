/**
 * Content hashes (sha256, hex) of what an episode ran on: data files, task files, policy texts,
 * single tasks. Hashes are of content only (never of paths or timestamps), so moving the data
 * folder does not change them.
 */
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { isFloat, PyJson, type PyObject, type PyValue } from "@tau-sim/engine"

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
export const hashFiles = (files: ReadonlyArray<string>): string => hashParts(files.map((f) => [path.basename(f), fs.readFileSync(f)] as const))

/** Hash of named texts (e.g. policy variants). */
export const hashTexts = (texts: Readonly<Record<string, string | undefined>>): string =>
  hashParts(Object.entries(texts).filter((e): e is [string, string] => typeof e[1] === "string"))

/**
 * `json.dumps(v, sort_keys=True)`, memoised per container: world states share every untouched
 * sub-object with the loaded DB (immutable by the world tree's contract), so after the first state
 * only the changed paths are serialised again.
 */
const sortedJsonCache = new WeakMap<object, string>()
const sortedJson = (v: PyValue): string => {
  if (v === null || typeof v !== "object" || isFloat(v)) return PyJson.dumps(v)
  const cached = sortedJsonCache.get(v)
  if (cached !== undefined) return cached
  const text = Array.isArray(v)
    ? `[${v.map(sortedJson).join(", ")}]`
    : `{${Object.keys(v)
        .sort()
        .map((k) => `${PyJson.dumps(k)}: ${sortedJson((v as PyObject)[k])}`)
        .join(", ")}}`
  sortedJsonCache.set(v, text)
  return text
}

/**
 * tau2's `DB.get_hash()`: sha256 hex of `json.dumps(db, sort_keys=True, default=str)` of the DB's
 * JSON form. Equal hashes = equal DBs with Python's notion of number identity (`1` vs `1.0` differ).
 */
export const tau2DbHash = (db: PyValue): string => sha256(sortedJson(db))
