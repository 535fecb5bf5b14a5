/** `tau domain init <dir>`: writing a new domain's files, never over existing ones. */
import * as fs from "node:fs"
import * as path from "node:path"
import { Schema } from "effect"
import { scaffoldFiles } from "./template.ts"

export { scaffoldFiles } from "./template.ts"

/** The folder cannot take a new domain (it has files, or is not a folder). */
export class ScaffoldError extends Schema.TaggedError<ScaffoldError>()("ScaffoldError", { dir: Schema.String, message: Schema.String }) {}

/** A domain name from a folder name: lower case, letters, digits and dashes. */
export const domainNameOf = (dir: string): string =>
  path
    .basename(path.resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "") || "my-domain"

/** Writes a new domain into `dir` (created; it must be empty if it exists); returns the files written. */
export const scaffoldDomain = (dir: string, name = domainNameOf(dir)): ReadonlyArray<string> => {
  const root = path.resolve(dir)
  if (fs.existsSync(root)) {
    if (!fs.statSync(root).isDirectory()) throw new ScaffoldError({ dir: root, message: `${root} exists and is not a folder` })
    const entries = fs.readdirSync(root)
    if (entries.length > 0)
      throw new ScaffoldError({
        dir: root,
        message: `${root} is not empty (${entries.slice(0, 3).join(", ")}${entries.length > 3 ? ", ..." : ""}); give a new or empty folder`,
      })
  }
  const files = scaffoldFiles(name)
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(root, rel)
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, content, { flag: "wx" })
  }
  return Object.keys(files)
}
