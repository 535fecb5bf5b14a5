/**
 * `--help` shows every default (issue 14 item 6). effect/cli's help does not print a
 * `Flag.withDefault` value, so descriptions carry it (common.ts `describedDefault`). For every
 * command and subcommand of the real `tau --help`: each flag that has a default value (found in
 * the command's own flag tree: `withDefault` is a map over an optional flag) shows it as
 * `(default: …)` in that command's `--help`, and a help line that names a default names it that
 * way. Switches (boolean flags, off unless given) are exempt. `--data-dir` defaults to
 * `$TAU2_DATA_DIR` wherever it picks the data (the commands over stored episodes read the folder
 * their run recorded).
 */
import { readdirSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { REPO, tau, tempDir } from "./tau.ts"

interface FlagInfo {
  readonly name: string
  readonly hasDefault: boolean
  readonly switch: boolean
}

/** The parameter tree of a flag (effect/cli's Param: Single under Map / Transform / Optional nodes). */
interface ParamNode {
  readonly _tag: string
  readonly name?: string
  readonly param?: ParamNode
  readonly primitiveType?: { readonly _tag: string }
}

const flagInfo = (node: ParamNode): FlagInfo => {
  let hasDefault = false
  let wrapped = false
  let current: ParamNode = node
  while (current._tag !== "Single" && current.param) {
    // `Flag.withDefault(v)` is `map(optional(flag), getOrElse(v))`; a bare `Flag.optional` has no default.
    if (current._tag === "Optional" && wrapped) hasDefault = true
    wrapped = current._tag === "Map" || current._tag === "Transform"
    current = current.param
  }
  return { name: String(current.name), hasDefault, switch: current.primitiveType?._tag === "Boolean" }
}

interface CommandNode {
  readonly name: string
  readonly config: { readonly flags: ReadonlyArray<ParamNode> }
  readonly subcommands: ReadonlyArray<{ readonly commands: ReadonlyArray<CommandNode> }>
}

const isCommand = (v: unknown): v is CommandNode => typeof v === "object" && v !== null && "~effect/cli/Command" in v

/** Every command the command modules export, by its path under `tau` (a subcommand under its parent's name). */
const commandTree = async (): Promise<Map<string, CommandNode>> => {
  const dir = join(REPO, "packages/cli/src/commands")
  const exported: CommandNode[] = []
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
    const module = (await import(join(dir, file))) as Record<string, unknown>
    exported.push(...Object.values(module).filter(isCommand))
  }
  const nested = new Set(exported.flatMap((c) => c.subcommands.flatMap((g) => g.commands)))
  const paths = new Map<string, CommandNode>()
  const add = (c: CommandNode, prefix: string) => {
    const path = prefix === "" ? c.name : `${prefix} ${c.name}`
    paths.set(path, c)
    for (const g of c.subcommands) for (const sub of g.commands) add(sub, path)
  }
  for (const c of exported.filter((c) => !nested.has(c))) add(c, "")
  return paths
}

/** `--name ...  description` lines of a help text's FLAGS section, by flag name. */
const helpLines = (help: string): Map<string, string> => {
  const section = help.split(/\n(?=[A-Z ]+\n)/).find((s) => s.startsWith("FLAGS")) ?? ""
  return new Map([...section.matchAll(/^ {2}--([a-z0-9-]+)[^\n]*$/gm)].map((m) => [m[1], m[0]]))
}

const tmp = tempDir("help-defaults")

describe("--help and defaults", () => {
  it("every command's help shows each flag's default, as (default: …)", async () => {
    const tree = await commandTree()
    // The tree the modules export is the CLI's: every top-level subcommand of `tau --help` is in it.
    const top = await tau(["--help"], tmp.root)
    const listed = [...(top.stdout.split("SUBCOMMANDS")[1] ?? "").matchAll(/^ {2}([a-z0-9-]+) /gm)].map((m) => m[1])
    expect(listed.length).toBeGreaterThan(10)
    for (const name of listed) expect(tree.has(name), name).toBe(true)

    let defaulted = 0
    const missing: string[] = []
    const misworded: string[] = []
    // Every command's help, four processes at a time.
    const entries = [...tree]
    const helps: string[] = []
    for (let i = 0; i < entries.length; i += 4) {
      const batch = entries.slice(i, i + 4).map(([path]) => tau([...path.split(" "), "--help"], tmp.root))
      for (const r of await Promise.all(batch)) helps.push(r.stdout)
    }
    for (const [i, [path, command]] of entries.entries()) {
      const lines = helpLines(helps[i] ?? "")
      for (const flag of command.config.flags.map(flagInfo)) {
        const line = lines.get(flag.name)
        if (line === undefined) continue // hidden
        // A mode named `default` among the choices is not a default.
        const text = line.replace(/\(choices: [^)]*\)/, "")
        if (/\bdefault\b/i.test(text) && !text.includes("(default: ")) misworded.push(`${path} --${flag.name}: ${line.trim()}`)
        if (!flag.hasDefault || flag.switch) continue
        defaulted++
        if (!line.includes("(default: ")) missing.push(`${path} --${flag.name}`)
      }
    }
    expect(missing).toEqual([])
    expect(misworded).toEqual([])
    // It looked at something: --db on every store command, --model-timeout, --format, --port, ...
    expect(defaulted).toBeGreaterThan(30)
  })

  it("--data-dir defaults to $TAU2_DATA_DIR where it picks the data, and says so", async () => {
    for (const path of ["run", "tasks", "tasks show", "policy", "import tau2", "evaluate-trajs"]) {
      const line = helpLines((await tau([...path.split(" "), "--help"], tmp.root)).stdout).get("data-dir")
      expect(line, path).toContain("(default: $TAU2_DATA_DIR")
    }
    for (const path of ["replay", "show", "rescore", "fork", "critical"]) {
      const line = helpLines((await tau([...path.split(" "), "--help"], tmp.root)).stdout).get("data-dir")
      expect(line, path).toContain("(default: the recorded folder)")
    }
  })
})
