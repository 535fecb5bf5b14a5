/** `tau tasks` and `tau policy`: what a domain offers. */
import { DomainResolver, PyJson } from "@tau-sim/engine"
import { selectTasks } from "@tau-sim/runs"
import { Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { table } from "../table.ts"
import { usage } from "../usage-error.ts"
import { dataDirFlag, jsonFlag, print, printJson, withShownDefault } from "./common.ts"
import { tasksFileFlag, withTasksOption } from "./tasks-file.ts"
import { generateCommand } from "./tasks-generate.ts"

const domainFlag = Flag.String("domain").pipe(withShownDefault("demo | mock | airline | retail | telecom", "demo"))
const variantFlag = Flag.String("policy-variant").pipe(withShownDefault("Policy variant (e.g. workflow for telecom)", "default"))

/** The domain the flags name, from the resolver (a τ² domain without data is a `DomainUnavailable` saying how to get it). */
const domainOf = (domain: string, dataDir: Option.Option<string>, policyVariant: string) =>
  Effect.gen(function* () {
    const resolver = yield* DomainResolver
    return yield* resolver.resolve(resolver.ref(domain, Option.getOrNull(dataDir), policyVariant))
  })

const show = Command.make("show", { domain: domainFlag, dataDir: dataDirFlag, tasks: tasksFileFlag, json: jsonFlag, id: Argument.String("id") }, (f) =>
  Effect.gen(function* () {
    const domain = yield* domainOf(withTasksOption(f.domain, f.tasks), f.dataDir, "default")
    const task = domain.tasks.find((t) => t.id === f.id)
    if (!task) return yield* usage(`task ${f.id} not found in ${domain.name}`)
    if (f.json) return yield* printJson(task)
    const c = task.evaluation_criteria
    yield* print(`task ${task.id}`)
    const instr = task.user_scenario.instructions
    yield* print(`\nuser scenario:\n${typeof instr === "string" ? instr : PyJson.stringify(instr, 2)}`)
    if (task.ticket) yield* print(`\nticket:\n${task.ticket}`)
    yield* print(`\nreward basis: ${(c?.reward_basis ?? ["DB", "COMMUNICATE"]).join(", ")}`)
    yield* print(`\ngold actions:`)
    for (const a of c?.actions ?? []) yield* print(`  ${a.requestor ?? "assistant"}: ${a.name}(${PyJson.stringify(a.arguments)})`)
    if (c?.env_assertions?.length)
      yield* print(`\nenv assertions:\n${c.env_assertions.map((a) => `  ${a.env_type}: ${a.func_name}(${PyJson.stringify(a.arguments)})`).join("\n")}`)
    if (c?.communicate_info?.length) yield* print(`\ncommunicate: ${c.communicate_info.join(" | ")}`)
    if (c?.nl_assertions?.length) yield* print(`\nNL assertions:\n${c.nl_assertions.map((a) => `  - ${a}`).join("\n")}`)
  }),
).pipe(Command.withDescription("Print one task"))

export const tasksCommand = Command.make(
  "tasks",
  { domain: domainFlag, dataDir: dataDirFlag, tasks: tasksFileFlag, json: jsonFlag, split: Flag.String("split").pipe(Flag.optional) },
  (f) =>
    Effect.gen(function* () {
      const domain = yield* domainOf(withTasksOption(f.domain, f.tasks), f.dataDir, "default")
      const tasks = yield* selectTasks(domain, { split: Option.getOrUndefined(f.split) })
      const rows = tasks.map((t) => ({
        task_id: t.id,
        actions: t.evaluation_criteria?.actions?.length ?? 0,
        reward_basis: (t.evaluation_criteria?.reward_basis ?? ["DB", "COMMUNICATE"]).join("+"),
      }))
      if (f.json) for (const r of rows) yield* printJson(r)
      else {
        yield* print(
          table(
            ["task", "gold actions", "reward basis"],
            rows.map((r) => [r.task_id, r.actions, r.reward_basis]),
          ),
        )
        yield* print(
          `\n${rows.length} tasks (splits: ${Object.entries(domain.splits)
            .map(([k, v]) => `${k} ${v.length}`)
            .join(", ")})`,
        )
      }
    }),
).pipe(Command.withDescription("List a domain's tasks"), Command.withSubcommands([show, generateCommand]))

export const policyCommand = Command.make(
  "policy",
  { domain: domainFlag, dataDir: dataDirFlag, json: jsonFlag, policyVariant: variantFlag, solo: Flag.Boolean("solo").pipe(Flag.withDefault(false)) },
  (f) =>
    Effect.gen(function* () {
      const domain = yield* domainOf(f.domain, f.dataDir, f.policyVariant)
      const text = f.solo ? domain.policy.solo : domain.policy.default
      if (text === undefined) return yield* usage(`domain ${domain.name} has no solo policy`)
      if (f.json) yield* printJson({ domain: domain.name, policy_variant: f.policyVariant, solo: f.solo, policy: text })
      else yield* print(text)
    }),
).pipe(Command.withDescription("Print the policy a participant would get"))
