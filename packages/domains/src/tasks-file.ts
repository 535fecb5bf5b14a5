/**
 * `--tasks FILE`: a domain with the tasks of a τ²-format task file (a JSON list of tasks) instead
 * of its own, e.g. a set `tau tasks generate` wrote. Generated tasks are proved valid again as they
 * are loaded (a task edited since, say its gold actions, fails with what no longer holds).
 *
 * The file is part of the domain reference a run records, `<domain>?tasks=<absolute path>`, so
 * that replay, fork, resume and verify load the same tasks; its content is hashed into the tasks'
 * hashes like any task file.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { type Domain, DomainUnavailable, PyJson, Task } from "@tau-sim/engine"
import { reproveTask } from "@tau-sim/engine/sdk"
import { Schema } from "effect"
import { sha256 } from "./tau2/hash.ts"

const MARK = "?tasks="

/** A domain reference split into the domain and the task file it runs with, if any. */
export const parseDomainSpec = (spec: string): { readonly base: string; readonly tasksFile: string | undefined } => {
  const at = spec.lastIndexOf(MARK)
  return at < 0 ? { base: spec, tasksFile: undefined } : { base: spec.slice(0, at), tasksFile: spec.slice(at + MARK.length) }
}

/** The reference of `domain` with the tasks of `file` (absolute); without a file, `domain` as it is. */
export const withTasksFile = (domain: string, file: string | undefined): string =>
  file === undefined ? domain : `${parseDomainSpec(domain).base}${MARK}${path.resolve(file)}`

const decodeTask = Schema.decodeUnknownSync(Task)

/** The tasks of a τ² task file, decoded; throws an Error naming the file and the task. */
export const readTasksFile = (file: string, text: string): ReadonlyArray<Task> => {
  let parsed: unknown
  try {
    parsed = PyJson.parse(text)
  } catch (e) {
    throw new Error(`tasks file ${file} is not JSON: ${e instanceof Error ? e.message : String(e)}`)
  }
  if (!Array.isArray(parsed)) throw new Error(`tasks file ${file} is not a list of τ² tasks`)
  const ids = new Set<string>()
  return parsed.map((raw, i) => {
    let task: Task
    try {
      task = decodeTask(raw) as Task
    } catch (e) {
      throw new Error(`tasks file ${file}: task #${i} is not a τ² task: ${e instanceof Error ? e.message : String(e)}`)
    }
    if (ids.has(task.id)) throw new Error(`tasks file ${file}: task id ${task.id} is used twice`)
    ids.add(task.id)
    return task
  })
}

const cache = new Map<string, { readonly text: string; readonly domain: Domain }>()

/** `domain` with the tasks of `file`, every generated task proved again; a `DomainUnavailable` says what failed. */
export const domainWithTasksFile = (domain: Domain, spec: string, file: string): Domain => {
  let text: string
  try {
    text = fs.readFileSync(file, "utf8")
  } catch (e) {
    throw new DomainUnavailable({ domain: spec, message: `tasks file ${file} cannot be read: ${e instanceof Error ? e.message : String(e)}` })
  }
  const key = `${spec}\u0000${domain.hashes.data}`
  const cached = cache.get(key)
  if (cached?.text === text) return cached.domain
  let tasks: ReadonlyArray<Task>
  try {
    tasks = readTasksFile(file, text)
  } catch (e) {
    throw new DomainUnavailable({ domain: spec, message: e instanceof Error ? e.message : String(e) })
  }
  for (const task of tasks) {
    const problems = reproveTask(domain, task)
    if (problems.length > 0)
      throw new DomainUnavailable({ domain: spec, message: `tasks file ${file}: task ${task.id} fails its validity proof: ${problems.join("; ")}` })
  }
  const withTasks: Domain = { ...domain, tasks, splits: { base: tasks.map((t) => t.id) }, hashes: { ...domain.hashes, tasks: sha256(text) } }
  cache.set(key, { text, domain: withTasks })
  return withTasks
}
