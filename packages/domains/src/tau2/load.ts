/**
 * Loading a τ² domain from a data folder shaped like tau2's `data/tau2` (with `domains/<name>/`):
 * databases (via the domain module), tasks, splits and policies, validated and hashed.
 *
 * Loaded domains are cached per (name, folder, policy variant) for the life of the process; their
 * databases and tasks are deeply frozen and shared by every episode (worlds never copy them, see
 * the engine's world tree).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Schema } from "effect"
import { enable as compileSchema } from "effect/schema/SchemaJITCompiler"
import { type Domain, type PolicyVariants, type PyValue, splitTasks, Task } from "@tau-sim/engine"
import { DataFileError } from "./errors.ts"
import { hashFiles, hashTexts } from "./hash.ts"
import type { Tau2Databases, Tau2DomainModule } from "./module.ts"
import { tau2Module } from "./registry.ts"
import { decodeOrThrow, deepFreeze, readJsonFile } from "./validate.ts"

export interface LoadTau2Options {
  /**
   * Policy variant to run with (`default`; e.g. `workflow` for telecom). The chosen variant becomes
   * `policy.default` and `<variant>_solo` (if the module has it) becomes `policy.solo`.
   */
  readonly policyVariant?: string
}

export class UnknownPolicyVariantError extends Error {
  constructor(domain: string, variant: string, known: ReadonlyArray<string>) {
    super(`Domain "${domain}" has no policy variant "${variant}"; known variants: ${known.join(", ")}`)
    this.name = "UnknownPolicyVariantError"
  }
}

export class UnknownSplitError extends Error {
  constructor(domain: string, split: string, known: ReadonlyArray<string>) {
    super(`Domain "${domain}" has no task split "${split}"; valid splits are: ${known.join(", ")}`)
    this.name = "UnknownSplitError"
  }
}

/** The folder of one domain inside a τ² data folder. */
export const tau2DomainDir = (name: string, dataDir: string): string => path.join(path.resolve(dataDir), "domains", name)

// --- tasks -----------------------------------------------------------------------------------

// Task files hold thousands of tasks (telecom: 2,285 in 14 MB): the task schema's decoder compiled
// to a function validates them ~7x faster than the interpreter, with the same values and issues
// (checked over every task of the τ² data and ~3,000 damaged ones). Registered before the first
// decode, so every decoder of tasks in the process (results files' embedded tasks too) uses it.
compileSchema(Task.ast)

/** `tasks.json` first, then any other `tasks_*.json` (telecom's `tasks_small.json`). */
const taskFilesOf = (domainDir: string): string[] => {
  const main = path.join(domainDir, "tasks.json")
  if (!fs.existsSync(main)) throw new DataFileError(main, "", "a task file (tasks.json)", "file not found")
  const extra = fs
    .readdirSync(domainDir)
    .filter((f) => /^tasks_.+\.json$/.test(f))
    .sort()
    .map((f) => path.join(domainDir, f))
  return [main, ...extra]
}

/**
 * Reads one task file: a JSON array of tasks, each validated with the engine's `Task` schema. The
 * parsed objects themselves are kept (validation only), so fields the schema does not model (such
 * as `issues` or message timestamps) survive for results files.
 */
export const readTaskFile = (file: string): ReadonlyArray<Task> => {
  const raw = readJsonFile(file)
  if (!Array.isArray(raw)) throw new DataFileError(file, "", "an array of tasks", `got ${typeof raw}`)
  const seen = new Set<string>()
  return raw.map((item, i) => {
    decodeOrThrow(Task, item, file, { at: [i] })
    const task = item as unknown as Task
    if (seen.has(task.id)) throw new DataFileError(file, `[${i}].id`, "a unique task id", `duplicate id ${JSON.stringify(task.id)}`)
    seen.add(task.id)
    return task
  })
}

/** All tasks of the domain, file order; a task repeated in a later file is taken once. */
const readTasks = (domainDir: string): { tasks: ReadonlyArray<Task>; files: ReadonlyArray<string> } => {
  const files = taskFilesOf(domainDir)
  const byId = new Map<string, Task>()
  for (const file of files) for (const task of readTaskFile(file)) if (!byId.has(task.id)) byId.set(task.id, task)
  return { tasks: [...byId.values()], files }
}

const Splits = Schema.Record(Schema.String, Schema.Array(Schema.String))

/** `split_tasks.json`: split name -> task ids (all must exist). A domain without it has no splits. */
export const readSplits = (domainDir: string, taskIds: ReadonlySet<string>): Readonly<Record<string, ReadonlyArray<string>>> => {
  const file = path.join(domainDir, "split_tasks.json")
  if (!fs.existsSync(file)) return {}
  const raw = readJsonFile(file)
  const splits = decodeOrThrow(Splits, raw, file)
  for (const [name, ids] of Object.entries(splits)) {
    ids.forEach((id, i) => {
      if (!taskIds.has(id)) throw new DataFileError(file, `${name}[${i}]`, "the id of a task in the task files", `unknown task ${JSON.stringify(id)}`)
    })
  }
  return splits
}

// --- policies --------------------------------------------------------------------------------

const selectPolicy = (domain: string, variants: PolicyVariants, variant: string): PolicyVariants => {
  if (variant === "default") return variants
  const text = variants[variant]
  if (text === undefined) throw new UnknownPolicyVariantError(domain, variant, Object.keys(variants))
  return { ...variants, default: text, solo: variants[`${variant}_solo`] }
}

// --- loading and caching ---------------------------------------------------------------------

interface DomainFiles {
  readonly databases: Tau2Databases
  readonly tasks: ReadonlyArray<Task>
  readonly taskFiles: ReadonlyArray<string>
  readonly splits: Readonly<Record<string, ReadonlyArray<string>>>
  readonly dataHash: string
  readonly tasksHash: string
}

const filesCache = new Map<string, DomainFiles>()
const domainCache = new Map<string, Domain>()

/** Databases and tasks of a domain folder, read once per process whatever the policy variant. */
const domainFiles = (module: Tau2DomainModule, domainDir: string): DomainFiles => {
  const key = `${module.name}\u0000${domainDir}`
  const cached = filesCache.get(key)
  if (cached) return cached
  if (!fs.existsSync(domainDir)) throw new DataFileError(domainDir, "", `the data folder of domain "${module.name}"`, "folder not found")
  const databases = module.loadDatabases(domainDir)
  deepFreeze(databases.agent)
  if (databases.user !== undefined) deepFreeze(databases.user)
  const { tasks, files: taskFiles } = readTasks(domainDir)
  deepFreeze(tasks)
  const splits = deepFreeze(readSplits(domainDir, new Set(tasks.map((t) => t.id))))
  const loaded: DomainFiles = {
    databases,
    tasks,
    taskFiles,
    splits,
    dataHash: hashFiles(databases.files),
    tasksHash: hashFiles(taskFiles),
  }
  filesCache.set(key, loaded)
  return loaded
}

/** Loads (or returns the cached) τ² domain `name` from `dataDir` (a folder containing `domains/`). */
export const loadTau2Domain = (name: string, dataDir: string, options: LoadTau2Options = {}): Domain => {
  const module = tau2Module(name)
  const domainDir = tau2DomainDir(name, dataDir)
  const variant = options.policyVariant ?? "default"
  const key = `${name}\u0000${domainDir}\u0000${variant}`
  const cached = domainCache.get(key)
  if (cached) return cached

  const files = domainFiles(module, domainDir)
  const policy = deepFreeze(selectPolicy(name, module.loadPolicies(domainDir), variant))
  const world: Record<string, PyValue> = { agent: files.databases.agent }
  if (files.databases.user !== undefined) world.user = files.databases.user
  const domain: Domain = {
    name,
    agentToolkit: module.agentToolkit,
    ...(module.userToolkit && { userToolkit: module.userToolkit }),
    initialWorld: Object.freeze(world),
    policy,
    tasks: files.tasks,
    splits: files.splits,
    hashes: { data: files.dataHash, tasks: files.tasksHash, policy: hashTexts(policy) },
    ...(module.sync && { sync: module.sync }),
    supportsSolo: module.supportsSolo,
    ...(module.taskFamilies && { taskFamilies: module.taskFamilies }),
  }
  domainCache.set(key, domain)
  return domain
}

/** The tasks of one split in task-file order (like tau2's `get_tasks(split)`); no split = all tasks. */
export const tasksOfSplit = (domain: Domain, split?: string): ReadonlyArray<Task> => {
  const tasks = splitTasks(domain, split)
  if (!tasks) throw new UnknownSplitError(domain.name, split ?? "", Object.keys(domain.splits))
  return tasks
}

/** Loads a domain and returns the task list of one of its splits. */
export const loadTau2Split = (name: string, dataDir: string, split?: string, options: LoadTau2Options = {}): ReadonlyArray<Task> =>
  tasksOfSplit(loadTau2Domain(name, dataDir, options), split)

/** Forgets every loaded domain (tests that rewrite data folders). */
export const clearTau2Cache = (): void => {
  filesCache.clear()
  domainCache.clear()
}
