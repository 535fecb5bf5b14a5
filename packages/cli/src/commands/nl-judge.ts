/** The `--nl-judge` flag: which judge grades a task's NL assertions. */
import * as Evaluate from "@tau-sim/evaluators"
import { Effect } from "effect"
import { Flag } from "effect/cli"
import { usage } from "../usage-error.ts"

export const nlJudgeFlag = Flag.String("nl-judge").pipe(Flag.withDefault("scripted:all-met"))

export const judgeFor = (spec: string) =>
  spec === "scripted:all-met" ? Effect.succeed(Evaluate.scriptedAllMetJudge) : Effect.fail(usage(`unknown NL judge "${spec}" (offline: scripted:all-met)`))
