/**
 * `defineDomain`: a domain from a plain description — its databases (with Effect Schemas they must
 * fit), agent and user tools with Schema-typed parameters and a read/write kind, initialisation and
 * assertion functions, the policy, τ²-format tasks and a subtask catalog for generating more. It
 * checks that the parts fit together (every tool a task or subtask names exists, the data fits its
 * schema) and hashes data, tasks and policy, so episodes record what they ran on.
 */
import { createHash } from "node:crypto"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Schema } from "effect"
import { type Domain, type Helper, type PolicyVariants, type ToolContext, type ToolDef, ToolError, type ToolKind, type Toolkit } from "../domain.ts"
import * as PyJson from "../py/json.ts"
import type { PyValue } from "../py/value.ts"
import { Task } from "../task.ts"
import type { Draft } from "../world/draft.ts"
import { DomainDefinitionError } from "./errors.ts"
import type { GenerationEnv } from "./env.ts"
import type { TaskFamily } from "./family.ts"

/** A tool parameter: its Schema (what models are told, and what arguments are checked against), description, default. */
export interface Param<S extends Schema.Top = Schema.Top> {
  readonly schema: S
  readonly description?: string
  /** A parameter with a default is optional. */
  readonly default?: PyValue
}

/** `param(Schema.String, "The member id.")`, `param(Schema.Int, "How many.", { default: 1 })`. */
export const param = <S extends Schema.Top>(schema: S, description?: string, options: { readonly default?: PyValue } = {}): Param<S> => ({
  schema,
  ...(description !== undefined ? { description } : {}),
  ...(options.default !== undefined ? { default: options.default } : {}),
})

export type Params = Readonly<Record<string, Param>>
/** The arguments a tool's `run` gets: each parameter decoded by its Schema (Python floats as plain numbers). */
export type Args<P extends Params> = { readonly [K in keyof P]: P[K]["schema"]["Type"] }

export interface ToolSpec<P extends Params> {
  readonly name: string
  /** `read` tools look, `write` tools change the database; `think` and `generic` (a hand-over) change nothing. */
  readonly kind: ToolKind
  /** The docstring models see: a summary line, then optionally a blank line and more. */
  readonly description: string
  /** In the order models see them. */
  readonly params?: P
  /**
   * Returns a string (shown verbatim) or a value (shown as Python `json.dumps`); throws
   * `ToolError` for an outcome the caller should see as `Error: <message>`. Changes go through
   * `db` (a draft of the toolkit's own database), never anything else: replay re-runs tools.
   */
  readonly run: (db: Draft, args: Args<P>, ctx: ToolContext) => PyValue
}

const decodeArgs = (toolName: string, params: Params, args: Readonly<Record<string, PyValue>>): Record<string, unknown> => {
  const decoded: Record<string, unknown> = {}
  for (const [name, p] of Object.entries(params)) {
    const value = args[name]
    try {
      decoded[name] = Schema.decodeUnknownSync(p.schema as unknown as Schema.Codec<unknown, unknown, never, never>)(PyJson.toPlain(value))
    } catch (e) {
      throw new ToolError(`${toolName}: argument ${name}: ${e instanceof Error ? e.message : String(e)}`)
    }
  }
  return decoded
}

/** A tool. Arguments are bound like Python keyword arguments by the engine, then decoded by each parameter's Schema. */
export const tool = <const P extends Params = Record<string, never>>(spec: ToolSpec<P>): ToolDef => {
  const params = (spec.params ?? {}) as P
  return {
    name: spec.name,
    kind: spec.kind,
    description: spec.description,
    params: Object.entries(params).map(([name, p]) => ({
      name,
      schema: p.schema,
      ...(p.description !== undefined ? { description: p.description } : {}),
      ...(p.default !== undefined ? { default: p.default } : {}),
    })),
    run: (db, args, ctx) => spec.run(db, decodeArgs(spec.name, params, args) as Args<P>, ctx),
  }
}

/** An initialisation or assertion function with Schema-typed parameters (or write it as a plain `Helper`). */
export interface FunctionSpec<P extends Params> {
  readonly params?: P
  readonly run: (db: Draft, args: Args<P>, ctx: ToolContext) => PyValue
}

export const fn = <const P extends Params = Record<string, never>>(spec: FunctionSpec<P>): Helper => {
  const params = (spec.params ?? {}) as P
  return (db, args, ctx) => spec.run(db, decodeArgs("function", params, args) as Args<P>, ctx)
}

export interface ToolkitSpec {
  /** Named in argument errors (`<className>.<tool>() missing ...`). Default: the domain's name, capitalised, + `Tools`/`UserTools`. */
  readonly className?: string
  readonly tools: ReadonlyArray<ToolDef>
  /** Functions tasks run to set a world up (`initialization_actions`, subtask `init`). */
  readonly initFunctions?: Readonly<Record<string, Helper>>
  /** Checks on the world (`env_assertions`, subtask `assertions`); each returns a boolean. */
  readonly assertions?: Readonly<Record<string, Helper>>
}

export interface DatabaseSpec {
  /** What the data must fit (checked when the domain is defined). */
  readonly schema?: Schema.Top
  /** The initial data; floats that are whole numbers need `float(2)` (Python tells `2` from `2.0`). */
  readonly data: PyValue | (() => PyValue)
}

/** A subtask catalog of one family; its name defaults to the domain's. */
export type SubtaskCatalog<E extends GenerationEnv = GenerationEnv> = Omit<TaskFamily<E>, "name"> & { readonly name?: string }

export interface DomainSpec {
  /** A name for people: runs record the domain by how it was given (a path for domains loaded from one). */
  readonly name: string
  /** The agent's policy; `{ default, solo }` when the domain also runs without a user. */
  readonly policy: string | { readonly default: string; readonly solo?: string }
  /** The agent's database. */
  readonly database: DatabaseSpec
  /** The user's own database (a device, an app), for dual-control domains. */
  readonly userDatabase?: DatabaseSpec
  readonly agentTools: ToolkitSpec
  /** Tools the user can use on their own database. */
  readonly userTools?: ToolkitSpec
  /** Tasks in τ²'s task format (decoded and checked against the tools). */
  readonly tasks: ReadonlyArray<unknown>
  /** Task ids per split; default `{ base: every task }`. */
  readonly splits?: Readonly<Record<string, ReadonlyArray<string>>>
  /** Atomic subtasks for `tau tasks generate`: one catalog, or several families. */
  readonly subtasks?: SubtaskCatalog | ReadonlyArray<TaskFamily>
  /** Agent/user synchronisation after every tool call (as telecom's); records writes in the draft. */
  readonly sync?: (world: Draft) => void
  /** Whether tasks can run without a user (needs `policy.solo`). */
  readonly supportsSolo?: boolean
  /**
   * Files the domain reads itself (with `fs`), as file URLs (`new URL("./db.json", import.meta.url)`)
   * or absolute paths. A domain loaded by path hashes them into its data, beside the modules it
   * imports (an imported JSON module needs no entry).
   */
  readonly dataFiles?: ReadonlyArray<URL | string>
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex")
const capitalised = (name: string) =>
  name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join("")

const assertionHelper =
  (name: string, helper: Helper): Helper =>
  (db, args, ctx) => {
    const result = helper(db, args, ctx)
    if (typeof result !== "boolean") throw new ToolError(`assertion ${name} returned ${PyJson.stringify(result)}, not true or false`)
    return result
  }

const toolkitOf = (spec: ToolkitSpec, className: string, problems: string[], side: string): Toolkit => {
  const names = new Set<string>()
  for (const t of spec.tools) {
    if (names.has(t.name)) problems.push(`${side} tool ${t.name} is defined twice`)
    names.add(t.name)
  }
  const helpers: Record<string, Helper> = {}
  for (const [name, h] of Object.entries(spec.initFunctions ?? {})) helpers[name] = h
  for (const [name, h] of Object.entries(spec.assertions ?? {})) {
    if (Object.hasOwn(helpers, name)) problems.push(`${side} function ${name} is both an init function and an assertion`)
    helpers[name] = assertionHelper(name, h)
  }
  return { className: spec.className ?? className, tools: spec.tools, helpers }
}

const dataOf = (db: DatabaseSpec, which: string, problems: string[]): PyValue => {
  const data = typeof db.data === "function" ? db.data() : db.data
  if (db.schema) {
    try {
      Schema.decodeUnknownSync(db.schema as unknown as Schema.Codec<unknown, unknown, never, never>)(PyJson.toPlain(data))
    } catch (e) {
      problems.push(`the ${which} does not fit its schema: ${e instanceof Error ? e.message : String(e)}`)
    }
  }
  return data
}

/** Problems of a task against the toolkits: unknown tools and functions, duplicate ids. */
const taskProblems = (task: Task, agent: Toolkit, user: Toolkit | undefined): string[] => {
  const problems: string[] = []
  const kit = (who: string | undefined) => (who === "user" ? user : agent)
  const hasFunction = (who: string, name: string) => {
    const k = kit(who)
    return k !== undefined && (Object.hasOwn(k.helpers, name) || k.tools.some((t) => t.name === name))
  }
  for (const a of task.evaluation_criteria?.actions ?? []) {
    if (!kit(a.requestor)?.tools.some((t) => t.name === a.name))
      problems.push(`gold action ${a.action_id} calls ${a.requestor ?? "assistant"} tool ${a.name}, which does not exist`)
  }
  for (const a of task.evaluation_criteria?.env_assertions ?? []) {
    if (!hasFunction(a.env_type, a.func_name)) problems.push(`env assertion ${a.func_name} (${a.env_type}) does not exist`)
  }
  for (const a of task.initial_state?.initialization_actions ?? []) {
    if (!hasFunction(a.env_type, a.func_name)) problems.push(`initialisation action ${a.func_name} (${a.env_type}) does not exist`)
  }
  return problems
}

/** Marks objects made by `defineDomain`, so a loader can tell a domain module from any module. */
export const DOMAIN_MARK: unique symbol = Symbol.for("@tau-sim/engine/sdk/domain") as never

export const isDefinedDomain = (value: unknown): value is Domain =>
  typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[DOMAIN_MARK] === true

const DATA_FILES: unique symbol = Symbol.for("@tau-sim/engine/sdk/data-files") as never

/** The files a defined domain declared it reads (`dataFiles`), as absolute paths. */
export const declaredDataFiles = (domain: Domain): ReadonlyArray<string> =>
  (domain as unknown as Record<symbol, ReadonlyArray<string> | undefined>)[DATA_FILES] ?? []

/** A declared data file as an absolute path, or why it is not one. */
const dataFilePath = (file: URL | string): string | { problem: string } => {
  const url = typeof file === "string" && file.startsWith("file:") ? new URL(file) : file
  if (url instanceof URL) return url.protocol === "file:" ? fileURLToPath(url) : { problem: `data file ${url.href} is not a file URL` }
  return path.isAbsolute(url) ? path.normalize(url) : { problem: `data file ${url} is not absolute: give new URL(${JSON.stringify(url)}, import.meta.url)` }
}

/** The domain a spec describes; throws `DomainDefinitionError` listing every inconsistency. */
export const defineDomain = (spec: DomainSpec): Domain => {
  const problems: string[] = []
  const base = capitalised(spec.name)
  const agentToolkit = toolkitOf(spec.agentTools, `${base}Tools`, problems, "agent")
  const userToolkit = spec.userTools ? toolkitOf(spec.userTools, `${base}UserTools`, problems, "user") : undefined
  const agent = dataOf(spec.database, "database", problems)
  const world: Record<string, PyValue> = { agent }
  if (spec.userDatabase) world.user = dataOf(spec.userDatabase, "user database", problems)
  else if (userToolkit) problems.push("user tools need a userDatabase to work on")
  const tasks: Task[] = []
  const ids = new Set<string>()
  spec.tasks.forEach((raw, i) => {
    let task: Task
    try {
      task = Schema.decodeUnknownSync(Task)(raw) as Task
    } catch (e) {
      problems.push(`task #${i} is not a τ² task: ${e instanceof Error ? e.message : String(e)}`)
      return
    }
    if (ids.has(task.id)) problems.push(`task id ${task.id} is used twice`)
    ids.add(task.id)
    for (const p of taskProblems(task, agentToolkit, userToolkit)) problems.push(`task ${task.id}: ${p}`)
    tasks.push(task)
  })
  const splits = spec.splits ?? { base: tasks.map((t) => t.id) }
  for (const [split, list] of Object.entries(splits))
    for (const id of list) if (!ids.has(id)) problems.push(`split ${split} lists task ${id}, which does not exist`)
  const families = familiesOf(spec)
  problems.push(...familyProblems(families))
  const dataFiles: string[] = []
  for (const f of spec.dataFiles ?? []) {
    const p = dataFilePath(f)
    if (typeof p === "string") dataFiles.push(p)
    else problems.push(p.problem)
  }
  const policy: PolicyVariants = typeof spec.policy === "string" ? { default: spec.policy } : spec.policy
  if (spec.supportsSolo && policy.solo === undefined) problems.push("supportsSolo needs a solo policy (policy: { default, solo })")
  if (problems.length > 0)
    throw new DomainDefinitionError({ domain: spec.name, message: `domain ${spec.name} is not consistent:\n  - ${problems.join("\n  - ")}` })
  const domain: Domain = {
    name: spec.name,
    agentToolkit,
    ...(userToolkit ? { userToolkit } : {}),
    initialWorld: world,
    policy,
    tasks,
    splits,
    hashes: {
      data: sha256(PyJson.compact(world)),
      tasks: sha256(JSON.stringify(spec.tasks)),
      policy: typeof spec.policy === "string" ? sha256(spec.policy) : sha256(JSON.stringify(spec.policy)),
    },
    ...(spec.sync ? { sync: spec.sync } : {}),
    supportsSolo: spec.supportsSolo ?? false,
    ...(families.length > 0 ? { taskFamilies: families } : {}),
  }
  Object.defineProperty(domain, DOMAIN_MARK, { value: true })
  Object.defineProperty(domain, DATA_FILES, { value: dataFiles })
  return domain
}

const familiesOf = (spec: DomainSpec): ReadonlyArray<TaskFamily> => {
  const s = spec.subtasks
  if (s === undefined) return []
  if (Array.isArray(s)) return s as ReadonlyArray<TaskFamily>
  const catalog = s as SubtaskCatalog
  return [{ ...catalog, name: catalog.name ?? spec.name }]
}

const familyProblems = (families: ReadonlyArray<TaskFamily>): string[] => {
  const problems: string[] = []
  const familyNames = new Set<string>()
  for (const f of families) {
    if (familyNames.has(f.name)) problems.push(`subtask family ${f.name} is defined twice`)
    familyNames.add(f.name)
    const groups = new Set<string>()
    const subtasks = new Set<string>()
    for (const g of f.groups) {
      if (groups.has(g.name)) problems.push(`group ${g.name} of ${f.name} is defined twice`)
      groups.add(g.name)
      if (g.subtasks.length === 0) problems.push(`group ${g.name} of ${f.name} has no subtasks`)
      for (const t of g.subtasks) {
        if (subtasks.has(t.name)) problems.push(`subtask ${t.name} of ${f.name} is defined twice`)
        if (t.name.includes("|") || t.name.includes("[")) problems.push(`subtask name ${t.name} may not contain | or [`)
        // An unsolvable task ends broken: its subtasks' assertions are not stored, only the family's check it (proof.ts).
        if (t.solution === null && !f.assertions)
          problems.push(`subtask ${t.name} of ${f.name} has no solution (null), which needs family-wide assertions(solvable, env) on ${f.name}`)
        subtasks.add(t.name)
      }
    }
  }
  return problems
}
