/**
 * A domain given by path is recorded by its absolute path; when its folder moves, commands over
 * stored episodes are pointed at the new place (`--domain ./new/place`, as `--data-dir` points τ²
 * episodes at moved data). The recorded hashes decide whether it is still the same domain.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { parseDomainSpec, withTasksFile } from "../tasks-file.ts"
import { isDomainPath } from "./load.ts"

/** Whether an episode's recorded domain (`/abs/shop`, `/abs/shop?tasks=...`) is one given by path. */
export const isPathDomainRef = (recorded: string): boolean => isDomainPath(parseDomainSpec(recorded).base)

/**
 * The recorded domain reference read from `moved` instead: the same reference for a domain not
 * given by path (the flag does not apply to it). A task file the run used from inside the old
 * folder is read from the same place inside the new one.
 */
export const movedDomainRef = (recorded: string, moved: string): string => {
  const { base, tasksFile } = parseDomainSpec(recorded)
  if (!isDomainPath(base)) return recorded
  // A bare name is never a folder (it names a built-in domain; the hashes then tell it apart).
  const now = isDomainPath(moved) ? path.resolve(moved) : moved
  if (tasksFile === undefined || !isDomainPath(moved)) return withTasksFile(now, tasksFile)
  // The folder the task file may lie in: the domain's folder, or a file domain's.
  const [oldDir, newDir] = fs.existsSync(now) && fs.statSync(now).isDirectory() ? [base, now] : [path.dirname(base), path.dirname(now)]
  const inside = path.relative(oldDir, tasksFile)
  return withTasksFile(now, inside.startsWith("..") || path.isAbsolute(inside) ? tasksFile : path.join(newDir, inside))
}
