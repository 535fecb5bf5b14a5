/** `tau export tau2`: a run written as a τ² results file. */
import { PyJson } from "@tau-sim/engine"
import { exportTau2Results } from "@tau-sim/interop"
import { Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { writeFileAtomic } from "../write-file.ts"
import { dbFlag, print, withExistingStore } from "./common.ts"
import { namingStore, reportSkipped } from "./store-scan.ts"

const exportTau2 = Command.make("tau2", { run: Flag.String("run"), out: Flag.String("out").pipe(Flag.optional), db: dbFlag }, (f) =>
  withExistingStore(
    f.db,
    Effect.gen(function* () {
      const { document, skipped } = yield* exportTau2Results(f.run).pipe(namingStore(f.db))
      const text = `${PyJson.dumps(document)}\n`
      if (Option.isSome(f.out)) {
        yield* writeFileAtomic(f.out.value, text)
        yield* print(`wrote ${f.out.value}`)
      } else process.stdout.write(text)
      yield* reportSkipped(skipped)
    }),
  ),
).pipe(Command.withDescription("Export a run as a τ² results file"))

export const exportCommand = Command.make("export").pipe(Command.withDescription("Export runs for other tools"), Command.withSubcommands([exportTau2]))
