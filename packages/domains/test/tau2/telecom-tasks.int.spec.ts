/**
 * The telecom task generator against the shipped task file: every task of `tasks.json` (which
 * holds all 2285 ids of the `full` split) is rebuilt from its id alone, and generated tasks pass
 * the reference generator's own verification.
 */
import * as path from "node:path"
import { float, PyJson, type PyValue, type Task } from "@tau-sim/engine"
import { describe, expect, it } from "vitest"
import { readJsonFile } from "../../src/tau2/validate.ts"
import { parseTelecomTaskId, TaskGenerationError, telecomTaskFromId, verifyTelecomTask } from "../../src/tau2/telecom/index.ts"
import { needsData } from "../../testing/index.ts"
import { TELECOM_DIR, telecomDomain } from "../conformance/telecom-domain.ts"

const data = needsData("tau2")

const domain = data.ifPresent(() => telecomDomain())
const shipped = data.ifPresent(() => readJsonFile(path.join(TELECOM_DIR, "tasks.json")) as unknown as ReadonlyArray<Task>)
const splits = data.ifPresent(() => readJsonFile(path.join(TELECOM_DIR, "split_tasks.json")) as Record<string, ReadonlyArray<string>>)

data.describe("telecom task generator", () => {
  it("rebuilds every shipped task from its id: same JSON text, key order and int/float identity", () => {
    expect(shipped.length).toBe(2285)
    expect(new Set(shipped.map((t) => t.id))).toEqual(new Set(splits.full))
    const differing = shipped.filter(
      (task) => PyJson.compact(telecomTaskFromId(task.id, domain) as unknown as PyValue) !== PyJson.compact(task as unknown as PyValue),
    )
    expect(differing.map((t) => t.id)).toEqual([])
  })

  it("produces tasks that pass the reference's verification (broken after init, fixed exactly by the gold actions)", () => {
    const failures = shipped.flatMap((t) => verifyTelecomTask(domain, telecomTaskFromId(t.id, domain)).map((p) => `${t.id}: ${p}`))
    expect(failures).toEqual([])
  })

  it("detects a task whose gold actions do not fix it", () => {
    const task = telecomTaskFromId("[service_issue]airplane_mode_on|unseat_sim_card[PERSONA:None]", domain)
    const criteria = task.evaluation_criteria
    const broken = { ...task, evaluation_criteria: { ...criteria, actions: criteria?.actions?.slice(0, 1) } } as Task
    expect(verifyTelecomTask(domain, broken)).toContainEqual(expect.stringMatching(/^not fixed after all actions: assert_service_status\(/))
  })

  it("also builds the newer `data_usage_exceeded_no_refuel` issue (not in the shipped split): unfixable", () => {
    const task = telecomTaskFromId("[mobile_data_issue]data_usage_exceeded_no_refuel[PERSONA:None]", domain)
    const init = task.initial_state?.initialization_actions ?? []
    expect(PyJson.compact(init.slice(1) as unknown as PyValue)).toBe(
      PyJson.compact([
        { env_type: "assistant", func_name: "refuel_data", arguments: { customer_id: "C1001", line_id: "L1002", gb_amount: float(2) } },
        { env_type: "assistant", func_name: "set_data_usage", arguments: { customer_id: "C1001", line_id: "L1002", data_used_gb: float(17.1) } },
      ]),
    )
    expect(task.evaluation_criteria?.actions?.map((a) => a.name)).toEqual(["transfer_to_human_agents"])
    expect(task.evaluation_criteria?.reward_basis).toEqual(["ENV_ASSERTION", "ACTION"])
    expect(verifyTelecomTask(domain, task)).toEqual([])
  })
})

describe("telecom task ids", () => {
  const rejects = (id: string, message: RegExp) => expect(() => parseTelecomTaskId(id)).toThrow(message)

  it("parses intent, sorted issues and persona", () => {
    const parsed = parseTelecomTaskId("[mobile_data_issue]airplane_mode_on|bad_vpn|data_usage_exceeded[PERSONA:Hard]")
    expect(parsed.intent.name).toBe("mobile_data_issue")
    expect(parsed.subtasks.map((s) => s.name)).toEqual(["airplane_mode_on", "bad_vpn", "data_usage_exceeded"])
    expect(parsed.persona).toBe("Hard")
  })

  it("rejects malformed ids with a TaskGenerationError that says why", () => {
    expect(() => parseTelecomTaskId("airplane_mode_on")).toThrow(TaskGenerationError)
    rejects("[billing_issue]airplane_mode_on[PERSONA:None]", /unknown telecom intent "billing_issue"/)
    rejects("[service_issue]airplane_mode_on[PERSONA:Grumpy]", /unknown persona "Grumpy"/)
    rejects("[service_issue]unseat_sim_card|airplane_mode_on[PERSONA:None]", /not sorted/)
    rejects("[service_issue]bad_vpn[PERSONA:None]", /"bad_vpn" is not an issue of intent service_issue/)
    rejects("[service_issue]contract_end_suspension|overdue_bill_suspension[PERSONA:None]", /two issues from one selection set/)
    rejects("[mobile_data_issue]airplane_mode_on[PERSONA:None]", /reference's task validator rejects it/)
    rejects("[mms_issue]airplane_mode_on|data_mode_off[PERSONA:Easy]", /reference's task validator rejects it/)
  })
})
