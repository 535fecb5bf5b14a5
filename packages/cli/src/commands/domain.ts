/**
 * `tau domain init <dir>`: a new domain of your own, ready to run (docs/writing-a-domain.md).
 * `tau domain test <dir>`: runs its tests (`*.test.ts` files, node:test) on this `tau`'s Node,
 * with the SDK handed to them as `--domain <dir>` hands it to the domain (@tau-sim/domains/preload).
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { domainNameOf, scaffoldDomain } from "@tau-sim/domains"
import { Effect, Option, Schema } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { jsonFlag, print, printJson } from "./common.ts"

/** Some of a domain's tests failed (their report is on standard output). */
export class DomainTestsFailed extends Schema.TaggedError<DomainTestsFailed>()("DomainTestsFailed", {
  dir: Schema.String,
  exitCode: Schema.Int,
}) {
  override get message(): string {
    return `the tests of the domain in ${this.dir} failed (node --test exited ${this.exitCode}; the report is above)`
  }
}

export class NoDomainTests extends Schema.TaggedError<NoDomainTests>()("NoDomainTests", { dir: Schema.String }) {
  override get message(): string {
    return `${this.dir} has no test files (test/**/*.test.ts)`
  }
}

const init = Command.make(
  "init",
  {
    dir: Argument.String("dir").pipe(Argument.withDescription("A new or empty folder")),
    name: Flag.String("name").pipe(Flag.withDescription("The domain's name (default: from the folder's name)"), Flag.optional),
    json: jsonFlag,
  },
  (f) =>
    Effect.gen(function* () {
      const name = Option.getOrElse(f.name, () => domainNameOf(f.dir))
      const files = yield* Effect.try({ try: () => scaffoldDomain(f.dir, name), catch: (e) => e as Error })
      const shown = f.dir.startsWith("/") || f.dir.startsWith(".") ? f.dir : `./${f.dir}`
      if (f.json) return yield* printJson({ dir: path.resolve(f.dir), name, files })
      yield* print(`domain ${name} in ${path.resolve(f.dir)}: ${files.join(", ")}`)
      yield* print(
        `\nnext:\n  tau domain test ${shown}\n  tau run --domain ${shown} --agent oracle --user scripted\n  tau tasks generate --domain ${shown} --out tasks.json`,
      )
    }),
).pipe(Command.withDescription("Write a small working domain (tools, tasks, subtasks, tests) into a new folder"))

const TEST_FILE = /\.test\.[cm]?[jt]s$/

const testFiles = (dir: string): string[] => {
  const found: string[] = []
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.name.startsWith(".") || e.name === "node_modules") continue
      const p = path.join(d, e.name)
      if (e.isDirectory()) walk(p)
      else if (TEST_FILE.test(e.name)) found.push(p)
    }
  }
  walk(dir)
  return found
}

const test = Command.make("test", { dir: Argument.String("dir").pipe(Argument.withDescription("The domain's folder")) }, (f) =>
  Effect.gen(function* () {
    const dir = path.resolve(f.dir)
    const files = fs.existsSync(dir) ? testFiles(dir) : []
    if (files.length === 0) return yield* new NoDomainTests({ dir })
    // In a process of its own: node:test reports once the files' event loop is done, which a CLI's never is.
    const exitCode = yield* Effect.callback<number>((resume) => {
      const child = spawn(
        process.execPath,
        ["--import", import.meta.resolve("@tau-sim/domains/preload"), "--test", "--test-isolation=none", "--test-reporter=spec", ...files],
        { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, TAU_DOMAIN_DIR: dir } },
      )
      child.on("error", () => resume(Effect.succeed(127)))
      child.on("exit", (code, signal) => resume(Effect.succeed(code ?? (signal ? 128 : 1))))
      return Effect.sync(() => child.kill())
    })
    if (exitCode !== 0) return yield* new DomainTestsFailed({ dir, exitCode })
  }),
).pipe(Command.withDescription("Run a domain's tests (node:test files under the folder) with this tau's SDK"))

export const domainCommand = Command.make("domain").pipe(Command.withDescription("Domains of your own: init, test"), Command.withSubcommands([init, test]))
