/**
 * The telecom policy variants (semantics §4.4): a main policy plus a tech-support policy, wrapped
 * in `<main_policy>` / `<tech_support_policy>` tags exactly as `get_environment` composes them.
 *   default        main_policy.md      + tech_support_manual.md
 *   solo           main_policy_solo.md + tech_support_manual.md
 *   workflow       main_policy.md      + tech_support_workflow.md   (domain `telecom-workflow`)
 *   workflow_solo  main_policy_solo.md + tech_support_workflow_solo.md
 */
import * as path from "node:path"
import type { PolicyVariants } from "@tau-sim/engine"
import { readTextFile } from "../validate.ts"

export const composeTelecomPolicy = (mainPolicy: string, techSupportPolicy: string): string =>
  `<main_policy>\n${mainPolicy}\n</main_policy>\n<tech_support_policy>\n${techSupportPolicy}\n</tech_support_policy>`

export const loadTelecomPolicies = (domainDir: string): PolicyVariants => {
  const read = (file: string) => readTextFile(path.join(domainDir, file))
  const main = read("main_policy.md")
  const mainSolo = read("main_policy_solo.md")
  const manual = read("tech_support_manual.md")
  return {
    default: composeTelecomPolicy(main, manual),
    solo: composeTelecomPolicy(mainSolo, manual),
    workflow: composeTelecomPolicy(main, read("tech_support_workflow.md")),
    workflow_solo: composeTelecomPolicy(mainSolo, read("tech_support_workflow_solo.md")),
  }
}
