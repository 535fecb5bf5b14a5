/**
 * `tau tasks generate`: τ²-format tasks composed from a domain's subtask catalog, each proved
 * valid (its assertions fail after the initialisation and hold after its gold actions) and
 * recording its composition; the same options and seed write the same file. `--report` says what
 * the set covers (every subtask and pair of groups) and how large the whole space is.
 */
import * as path from "node:path"
import { DomainResolver, PyJson } from "@tau-sim/engine"
import { type Coverage, coverageOf, type Generated, generateTasks, TaskGenerationError } from "@tau-sim/engine/sdk"
import { Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { table } from "../table.ts"
import { usage } from "../usage-error.ts"
import { writeFileAtomic } from "../write-file.ts"
import { dataDirFlag, describedDefault, jsonFlag, nonNegativeInt, positiveInt, print, printJson, progress, withShownDefault } from "./common.ts"

const list = (text: Option.Option<string>) =>
  Option.map(text, (t) =>
    t
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  )

/** `3` or `2-4`: how many subtasks a task has. */
const subtaskRange = (text: string) => {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text.trim())
  const min = m ? Number(m[1]) : Number.NaN
  const max = m?.[2] !== undefined ? Number(m[2]) : min
  return m && min >= 1 && max >= min ? { min, max } : undefined
}

const flags = {
  domain: Flag.String("domain").pipe(withShownDefault("A domain with a subtask catalog: demo, telecom, or ./my-domain", "demo")),
  dataDir: dataDirFlag,
  groups: Flag.String("groups").pipe(Flag.withDescription("Only these groups, comma-separated (group, or family/group)"), Flag.optional),
  subtasks: Flag.String("subtasks").pipe(Flag.withDescription(describedDefault("Subtasks per task: N, or N-M (difficulty)", "any")), Flag.optional),
  count: positiveInt("count").pipe(Flag.withDescription("How many tasks (default: the whole space, in order)"), Flag.optional),
  seed: nonNegativeInt("seed").pipe(withShownDefault("Seed of the sample", 0)),
  personas: Flag.String("personas").pipe(Flag.withDescription("Only these personas, comma-separated"), Flag.optional),
  out: Flag.String("out").pipe(Flag.withDescription("Where to write the tasks (a JSON list of τ² tasks)"), Flag.optional),
  report: Flag.Boolean("report").pipe(Flag.withDescription("Print what the set covers and the size of the whole space"), Flag.withDefault(false)),
  json: jsonFlag,
}

const coverageLines = (c: Coverage): string[] => {
  const unusedSubtasks = c.subtasks.filter((s) => s.tasks === 0)
  const unusedPairs = c.groupPairs.filter((p) => p.tasks === 0)
  return [
    `space: ${c.spaceSize} tasks (compositions × personas); generated ${c.tasks}`,
    `by number of subtasks: ${Object.entries(c.bySize)
      .map(([k, n]) => `${k}: ${n}`)
      .join(", ")}`,
    "",
    table(
      ["family", "group", "subtask", "tasks"],
      c.subtasks.map((s) => [s.family, s.group, s.name, s.tasks]),
    ),
    "",
    table(
      ["family", "groups", "tasks"],
      c.groupPairs.map((p) => [p.family, `${p.groups[0]} + ${p.groups[1]}`, p.tasks]),
    ),
    "",
    `subtasks used ${c.subtasks.length - unusedSubtasks.length}/${c.subtasks.length}${unusedSubtasks.length ? ` (never: ${unusedSubtasks.map((s) => s.name).join(", ")})` : ""}; pairs of groups used ${c.groupPairs.length - unusedPairs.length}/${c.groupPairs.length}`,
  ]
}

export const generateCommand = Command.make("generate", flags, (f) =>
  Effect.gen(function* () {
    if (Option.isNone(f.out) && !f.report) return yield* usage("give --out FILE (and/or --report)")
    const range = Option.isSome(f.subtasks) ? subtaskRange(f.subtasks.value) : undefined
    if (Option.isSome(f.subtasks) && !range) return yield* usage(`--subtasks ${f.subtasks.value}: expected N or N-M with 1 ≤ N ≤ M`)
    const resolver = yield* DomainResolver
    const domain = yield* resolver.resolve(resolver.ref(f.domain, Option.getOrNull(f.dataDir)))
    const generated: Generated = yield* Effect.try({
      try: () =>
        generateTasks(domain, {
          groups: Option.getOrUndefined(list(f.groups)),
          subtasks: range,
          count: Option.getOrUndefined(f.count),
          seed: f.seed,
          personas: Option.getOrUndefined(list(f.personas)),
        }),
      catch: (e) => (e instanceof TaskGenerationError ? usage(e.message) : (e as Error)),
    })
    if (Option.isSome(f.out)) {
      yield* writeFileAtomic(f.out.value, `${PyJson.stringify(generated.tasks, 2)}\n`)
      const short = Option.isSome(f.count) && generated.tasks.length < f.count.value ? ` (only ${generated.tasks.length} valid in the space)` : ""
      yield* progress(`wrote ${generated.tasks.length} tasks to ${path.resolve(f.out.value)}${short}; each proved valid`)
    }
    for (const r of generated.rejected) yield* progress(`left out ${r.id}: ${r.reason}`)
    const coverage = coverageOf(generated.space, generated.compositions)
    if (f.json)
      return yield* printJson({
        domain: domain.name,
        out: Option.isSome(f.out) ? path.resolve(f.out.value) : null,
        tasks: generated.tasks.length,
        task_ids: generated.tasks.map((t) => t.id),
        rejected: generated.rejected,
        space_size: coverage.spaceSize,
        coverage: { subtasks: coverage.subtasks, group_pairs: coverage.groupPairs, by_size: coverage.bySize },
      })
    if (f.report) for (const line of coverageLines(coverage)) yield* print(line)
  }),
).pipe(Command.withDescription("Compose provably valid tasks from a domain's subtasks (τ² format, with gold actions and assertions)"))
