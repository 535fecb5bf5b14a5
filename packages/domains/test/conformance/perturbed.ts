/**
 * Output conformance over the reference's perturbed trajectories (`perturbed_<domain>.jsonl`):
 * the call plans there leave the gold path (wrong ids, dropped or duplicated writes, unknown tools,
 * extra arguments), so they exercise the tools' error messages. Each line's task gets its initial
 * state, then every tool call after the task's own message history is executed in order and
 * compared with the tool message that answered it (same rules as the gold harness). The fixtures
 * record no DB patches for these lines, so states are not compared here.
 */
import * as path from "node:path"
import { applyInitialState, type Domain, executeToolCall, type Node, type PyValue, syncWorld, type Task, type ToolContext } from "@tau-sim/engine"
import { testDataDirs } from "../../testing/locate.ts"
import type { FixtureMessage } from "./fixtures.ts"
import { readJsonl } from "./fixtures.ts"
import { compareOutput, type ConformanceResult, defaultContext, type Mismatch, type OutputModes, tryParse } from "./harness.ts"

// The suites using this helper declared their needs (needsData); missing folders are placeholders.
const { conformance: CONFORMANCE_DIR } = testDataDirs()

export interface PerturbedLine {
  readonly task_id: string
  readonly perturbation_id: string
  readonly perturbation: { readonly type: string; readonly [k: string]: unknown }
  readonly messages: ReadonlyArray<FixtureMessage>
  readonly [field: string]: unknown
}

export interface PerturbedOptions {
  readonly taskFor?: (taskId: string, line: PerturbedLine) => Task | undefined
  readonly filter?: (line: PerturbedLine) => boolean
  readonly contextFor?: (taskId: string, callIndex: number) => ToolContext
  readonly fixtureFile?: string
}

export const checkPerturbedOutputs = (
  domainName: string,
  loadDomain: () => Domain,
  options: PerturbedOptions = {},
): ConformanceResult & { readonly trajectoriesChecked: number } => {
  const domain = loadDomain()
  const tasksById = new Map(domain.tasks.map((t) => [t.id, t]))
  const taskFor = options.taskFor ?? ((id: string) => tasksById.get(id))
  const contextFor = options.contextFor ?? defaultContext
  const file = options.fixtureFile ?? path.join(CONFORMANCE_DIR, `perturbed_${domainName}.jsonl`)
  const mismatches: Mismatch[] = []
  const outputModes: OutputModes = { exact: 0, json: 0, errorFlagOnly: 0 }
  const tasks = new Set<string>()
  let trajectories = 0
  let callsChecked = 0

  for (const raw of readJsonl(file)) {
    const line = raw as unknown as PerturbedLine
    if (options.filter && !options.filter(line)) continue
    trajectories++
    tasks.add(line.task_id)
    const label = line.perturbation_id
    const task = taskFor(line.task_id, line)
    if (!task) {
      mismatches.push({ taskId: label, callIndex: null, kind: "missing_task", detail: `task ${line.task_id} not found` })
      continue
    }
    let world: Node
    try {
      world = applyInitialState(domain, task).world
    } catch (e) {
      mismatches.push({ taskId: label, callIndex: null, kind: "initial_state_error", detail: String((e as Error).message ?? e) })
      continue
    }
    const replies = new Map(line.messages.filter((m) => m.role === "tool" && m.id !== undefined).map((m) => [m.id as string, m]))
    const firstNew = task.initial_state?.message_history?.length ?? 0
    let index = 0
    for (const message of line.messages.slice(firstNew)) {
      for (const call of message.tool_calls ?? []) {
        const i = index++
        callsChecked++
        const outcome = executeToolCall(
          domain,
          world,
          { id: call.id, name: call.name, arguments: call.arguments, requestor: call.requestor },
          contextFor(line.task_id, i),
          { sync: true },
        )
        world = syncWorld(domain, outcome.world).world
        const reply = replies.get(call.id)
        if (!reply || typeof reply.content !== "string") {
          mismatches.push({ taskId: label, callIndex: i, tool: call.name, kind: "harness_error", detail: `no tool message for call ${call.id}` })
          continue
        }
        const parsed = tryParse(reply.content)
        const verdict = compareOutput(outcome, {
          text: reply.content,
          json: parsed.ok ? (parsed.value as PyValue) : undefined,
          error: reply.error ?? false,
        })
        if (typeof verdict === "string") outputModes[verdict]++
        else mismatches.push({ taskId: label, callIndex: i, tool: call.name, ...verdict })
      }
    }
  }
  return { domain: domainName, tasksChecked: tasks.size, trajectoriesChecked: trajectories, callsChecked, mismatches, outputModes }
}
