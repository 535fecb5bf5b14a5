/**
 * Generating task sets from a domain's subtask catalog: the space of valid compositions (per
 * family: at most one subtask per group, as many subtasks as asked for, accepted by the family) ×
 * personas; a seeded sample of it, each task composed and proved valid (a composition that fails
 * is left out and said why); what the set covers.
 */
import type { Domain } from "../domain.ts"
import * as PyJson from "../py/json.ts"
import { seededRandom } from "../initial-state.ts"
import type { Task } from "../task.ts"
import { GenerationEnv } from "./env.ts"
import { TaskGenerationError } from "./errors.ts"
import { composeTask, composedTaskId, personasOf, type Subtask, subtasksByName, type TaskFamily } from "./family.ts"
import { proveTask } from "./proof.ts"

export interface GenerateOptions {
  /** Only these groups (`group` in any family, or `family/group`); default all. */
  readonly groups?: ReadonlyArray<string> | undefined
  /** Subtasks per task, inclusive; default 1 to all groups. */
  readonly subtasks?: { readonly min: number; readonly max: number } | undefined
  /** How many tasks; default the whole space (in its order, seed unused). */
  readonly count?: number | undefined
  readonly seed?: number | undefined
  /** Only these personas; default every persona of each family. */
  readonly personas?: ReadonlyArray<string> | undefined
}

/** One point of the space: a family, its subtasks (one per chosen group, sorted by name) and a persona. */
export interface Composition {
  readonly family: TaskFamily
  readonly subtasks: ReadonlyArray<Subtask>
  /** The group of each subtask, by index of `subtasks`. */
  readonly groups: ReadonlyArray<string>
  readonly persona: string
}

interface FamilySpace {
  readonly family: TaskFamily
  readonly compositions: ReadonlyArray<{ readonly subtasks: ReadonlyArray<Subtask>; readonly groups: ReadonlyArray<string> }>
  readonly personas: ReadonlyArray<string>
}

/** The space a generation samples from. */
export interface Space {
  readonly families: ReadonlyArray<FamilySpace>
  /** Compositions × personas, summed over the families. */
  readonly size: number
}

/** More compositions than this are not enumerated: narrow the groups or the subtask count. */
export const MAX_ENUMERATED = 1_000_000

export const generationFamilies = (domain: Domain): ReadonlyArray<TaskFamily> => domain.taskFamilies ?? []

export const compositionSpace = (domain: Domain, options: GenerateOptions = {}): Space => {
  const families = generationFamilies(domain)
  if (families.length === 0) throw new TaskGenerationError({ message: `domain ${domain.name} declares no subtasks to generate tasks from` })
  const wantedGroups = options.groups === undefined ? undefined : new Set(options.groups)
  const known = families.flatMap((f) => f.groups.flatMap((g) => [g.name, `${f.name}/${g.name}`]))
  const unknownGroups = [...(wantedGroups ?? [])].filter((g) => !known.includes(g))
  if (unknownGroups.length > 0)
    throw new TaskGenerationError({
      message: `unknown group${unknownGroups.length > 1 ? "s" : ""} ${unknownGroups.join(", ")} of ${domain.name}; known: ${families.flatMap((f) => f.groups.map((g) => `${f.name}/${g.name}`)).join(", ")}`,
    })
  const allPersonas = new Set(families.flatMap((f) => Object.keys(personasOf(f))))
  const unknownPersonas = (options.personas ?? []).filter((p) => !allPersonas.has(p))
  if (unknownPersonas.length > 0)
    throw new TaskGenerationError({ message: `unknown persona ${unknownPersonas.join(", ")} of ${domain.name}; known: ${[...allPersonas].join(", ")}` })
  let enumerated = 0
  const spaces: FamilySpace[] = []
  for (const family of families) {
    const groups = family.groups.filter((g) => !wantedGroups || wantedGroups.has(g.name) || wantedGroups.has(`${family.name}/${g.name}`))
    const personas = Object.keys(personasOf(family)).filter((p) => !options.personas || options.personas.includes(p))
    if (groups.length === 0 || personas.length === 0) continue
    const min = options.subtasks?.min ?? 1
    const max = Math.min(options.subtasks?.max ?? groups.length, groups.length)
    const compositions: Array<{ subtasks: Subtask[]; groups: string[] }> = []
    // Every group: none of its subtasks, or one of them (τ²'s cartesian product with a "none" option).
    const walk = (g: number, chosen: Array<{ subtask: Subtask; group: string }>) => {
      if (chosen.length > max) return
      if (g === groups.length) {
        if (chosen.length < min || chosen.length === 0) return
        const sorted = [...chosen].sort((a, b) => (a.subtask.name < b.subtask.name ? -1 : 1))
        if (family.accepts?.(sorted.map((c) => c.subtask))) return
        if (++enumerated > MAX_ENUMERATED)
          throw new TaskGenerationError({ message: `more than ${MAX_ENUMERATED} compositions in ${domain.name}: narrow --groups or --subtasks` })
        compositions.push({ subtasks: sorted.map((c) => c.subtask), groups: sorted.map((c) => c.group) })
        return
      }
      walk(g + 1, chosen)
      for (const subtask of groups[g].subtasks) walk(g + 1, [...chosen, { subtask, group: groups[g].name }])
    }
    walk(0, [])
    if (compositions.length > 0) spaces.push({ family, compositions, personas })
  }
  return { families: spaces, size: spaces.reduce((n, s) => n + s.compositions.length * s.personas.length, 0) }
}

/** The i-th point of one family's space (composition by composition, persona by persona). */
const pointOf = (s: FamilySpace, i: number): Composition => {
  const c = s.compositions[Math.floor(i / s.personas.length)]
  return { family: s.family, subtasks: c.subtasks, groups: c.groups, persona: s.personas[i % s.personas.length] }
}

const familySize = (s: FamilySpace) => s.compositions.length * s.personas.length

/** The whole space in order: family by family. */
function* inOrder(space: Space): Generator<Composition> {
  for (const s of space.families) for (let i = 0; i < familySize(s); i++) yield pointOf(s, i)
}

/**
 * A seeded sample order: the families take turns (so a small family is not drowned by a large
 * one), each drawing its points in its own seeded random order.
 */
function* sampled(space: Space, seed: number): Generator<Composition> {
  const draws = space.families.map((s, i) => ({ s, order: shuffled(familySize(s), seed + i * 7919) }))
  let live = draws
  while (live.length > 0) {
    const next: typeof live = []
    for (const d of live) {
      const step = d.order.next()
      if (step.done) continue
      next.push(d)
      yield pointOf(d.s, step.value)
    }
    live = next
  }
}

/** Indices 0..n-1 in a seeded random order, drawn lazily (a partial Fisher-Yates shuffle). */
function* shuffled(n: number, seed: number): Generator<number> {
  const random = seededRandom(seed)
  const swapped = new Map<number, number>()
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (n - i))
    const at = (k: number) => swapped.get(k) ?? k
    const picked = at(j)
    swapped.set(j, at(i))
    swapped.delete(i)
    yield picked
  }
}

/** What a generated task records of how it was made (`description.generated`). */
export interface GeneratedRecord {
  readonly generator: string
  readonly family: string
  readonly subtasks: ReadonlyArray<{ readonly group: string; readonly name: string }>
  readonly persona: string
  readonly seed: number | null
  /** The success assertions that fail after the initialisation, as the proof found them. */
  readonly broken_after_init: ReadonlyArray<string>
}

export const GENERATOR_VERSION = "tau-sim-subtasks@1"

export interface Rejected {
  readonly id: string
  readonly reason: string
}

export interface Generated {
  readonly tasks: ReadonlyArray<Task>
  readonly compositions: ReadonlyArray<Composition>
  /** Compositions that could not be composed or failed their proof, left out. */
  readonly rejected: ReadonlyArray<Rejected>
  readonly space: Space
}

const freshEnv = (domain: Domain, family: TaskFamily) => (family.env ? family.env(domain) : new GenerationEnv(domain))

/** Composes and proves one composition; the task carries its record. */
export const generateOne = (domain: Domain, c: Composition, seed: number | null): { task: Task } | { rejected: Rejected } => {
  const id = composedTaskId(
    c.family.name,
    c.subtasks.map((s) => s.name),
    c.persona,
  )
  let task: Task
  try {
    task = composeTask(domain, c.family, c.subtasks, c.persona)
  } catch (e) {
    return { rejected: { id, reason: e instanceof Error ? e.message : String(e) } }
  }
  const proof = proveTask(domain, task, c.family, freshEnv(domain, c.family))
  if (proof.problems.length > 0) return { rejected: { id, reason: proof.problems.join("; ") } }
  const generated: GeneratedRecord = {
    generator: GENERATOR_VERSION,
    family: c.family.name,
    subtasks: c.subtasks.map((s, i) => ({ group: c.groups[i], name: s.name })),
    persona: c.persona,
    seed,
    broken_after_init: proof.brokenAfterInit,
  }
  return { task: { ...task, description: { ...(task.description ?? {}), generated } } as Task }
}

/** A sample of the space (the families taking turns), every task proved valid; the same options and seed give the same tasks. */
export const generateTasks = (domain: Domain, options: GenerateOptions = {}): Generated => {
  const space = compositionSpace(domain, options)
  const seed = options.seed ?? 0
  const count = options.count ?? space.size
  const order = options.count === undefined ? inOrder(space) : sampled(space, seed)
  const tasks: Task[] = []
  const compositions: Composition[] = []
  const rejected: Rejected[] = []
  for (const c of order) {
    if (tasks.length >= count) break
    const made = generateOne(domain, c, options.count === undefined ? null : seed)
    if ("task" in made) {
      tasks.push(made.task)
      compositions.push(c)
    } else rejected.push(made.rejected)
  }
  return { tasks, compositions, rejected, space }
}

/** A task's generation record, if it has one. */
export const generatedRecordOf = (task: Task): GeneratedRecord | undefined => {
  const g = (task.description as Record<string, unknown> | null | undefined)?.generated
  return g && typeof g === "object" && typeof (g as GeneratedRecord).family === "string" ? (g as GeneratedRecord) : undefined
}

/**
 * What a composition decides of a task, in one comparable string: its initialisation calls, its
 * gold actions (with what the ACTION reward compares) and its env assertions.
 */
const composedCalls = (task: Task): string => {
  const c = task.evaluation_criteria
  return PyJson.stringify({
    init: (task.initial_state?.initialization_actions ?? []).map((a) => [a.env_type, a.func_name, a.arguments]),
    actions: (c?.actions ?? []).map((a) => [a.requestor ?? "assistant", a.name, a.arguments, a.compare_args ?? null]),
    assertions: (c?.env_assertions ?? []).map((a) => [a.env_type, a.func_name, a.arguments, a.assert_value ?? true]),
  })
}

/**
 * Proves a generated task again (a task file being loaded): the family and subtasks it records
 * must exist in the domain, the task as it is now must pass, and its calls must be the ones its
 * composition gives now (the proof alone passes a solution with an extra write before the fix,
 * which changes the gold database). Returns the problems, each a sentence; a task without a record has none.
 */
export const reproveTask = (domain: Domain, task: Task): ReadonlyArray<string> => {
  const record = generatedRecordOf(task)
  if (!record) return []
  const family = generationFamilies(domain).find((f) => f.name === record.family)
  if (!family) return [`it was generated from family ${record.family}, which domain ${domain.name} does not have`]
  let recomposed: Task
  try {
    const subtasks = subtasksByName(
      family,
      record.subtasks.map((s) => s.name),
    )
    recomposed = composeTask(domain, family, subtasks, record.persona)
  } catch (e) {
    return [e instanceof Error ? e.message : String(e)]
  }
  // What no longer holds is the clearer message; a task that still proves may differ all the same.
  const problems = proveTask(domain, task, family, freshEnv(domain, family)).problems
  if (problems.length > 0 || composedCalls(recomposed) === composedCalls(task)) return problems
  return [
    `its initialisation, gold actions or env assertions are not the ones ${record.family}/${record.subtasks.map((s) => s.name).join("|")} composes ` +
      "(edited since it was generated? remove description.generated to use it as a hand-written task)",
  ]
}

/** What a generated set covers: how often each subtask and each pair of groups was used, and what never was. */
export interface Coverage {
  readonly spaceSize: number
  readonly tasks: number
  readonly subtasks: ReadonlyArray<{ readonly family: string; readonly group: string; readonly name: string; readonly tasks: number }>
  readonly groupPairs: ReadonlyArray<{ readonly family: string; readonly groups: readonly [string, string]; readonly tasks: number }>
  readonly bySize: Readonly<Record<string, number>>
}

export const coverageOf = (space: Space, compositions: ReadonlyArray<Composition>): Coverage => {
  const subtasks: Array<{ family: string; group: string; name: string; tasks: number }> = []
  const pairs: Array<{ family: string; groups: readonly [string, string]; tasks: number }> = []
  for (const s of space.families) {
    const groups = [...new Set(s.compositions.flatMap((c) => c.groups))]
    const subtaskGroup = new Map<string, string>()
    for (const c of s.compositions) for (const [i, t] of c.subtasks.entries()) subtaskGroup.set(t.name, c.groups[i])
    for (const [name, group] of subtaskGroup) subtasks.push({ family: s.family.name, group, name, tasks: 0 })
    const possible = new Set<string>()
    for (const c of s.compositions)
      for (let i = 0; i < c.groups.length; i++) for (let j = i + 1; j < c.groups.length; j++) possible.add(pairKey(c.groups[i], c.groups[j]))
    for (let i = 0; i < groups.length; i++)
      for (let j = i + 1; j < groups.length; j++) {
        const [a, b] = [groups[i], groups[j]].sort() as [string, string]
        if (possible.has(pairKey(a, b))) pairs.push({ family: s.family.name, groups: [a, b], tasks: 0 })
      }
  }
  const bySize: Record<string, number> = {}
  for (const c of compositions) {
    bySize[c.subtasks.length] = (bySize[c.subtasks.length] ?? 0) + 1
    for (const t of c.subtasks) {
      const row = subtasks.find((r) => r.family === c.family.name && r.name === t.name)
      if (row) row.tasks++
    }
    for (let i = 0; i < c.groups.length; i++)
      for (let j = i + 1; j < c.groups.length; j++) {
        const [a, b] = [c.groups[i], c.groups[j]].sort()
        const row = pairs.find((p) => p.family === c.family.name && p.groups[0] === a && p.groups[1] === b)
        if (row) row.tasks++
      }
  }
  return { spaceSize: space.size, tasks: compositions.length, subtasks, groupPairs: pairs, bySize }
}

const pairKey = (a: string, b: string) => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`)
