/**
 * What each τ² domain module provides; `load.ts` turns it plus the data folder into a `Domain`.
 * Also the readers of the file layouts the domains share (JSON databases, verbatim policies).
 */
import * as path from "node:path"
import type { Draft, PolicyVariants, PyValue, Toolkit } from "@tau-sim/engine"
import type { TaskFamily } from "@tau-sim/engine/sdk"
import type { ModelDef } from "./pydantic.ts"
import { type JsonModelOptions, loadJsonModel, readTextFile } from "./validate.ts"

export interface Tau2Databases {
  /** Agent-side database (JSON form of the reference's pydantic DB model). */
  readonly agent: PyValue
  /** User-side database (device state), for domains that have one. */
  readonly user?: PyValue
  /** The exact files read, for content hashing. */
  readonly files: ReadonlyArray<string>
}

export interface Tau2DomainModule {
  readonly name: "mock" | "airline" | "retail" | "telecom"
  /**
   * Reads and validates the databases of `<dataDir>/domains/<name>/`. Throws `DataFileError`
   * (from `./errors.ts`) naming the file, the path inside it and what was expected.
   */
  readonly loadDatabases: (domainDir: string) => Tau2Databases
  /** Reads the policy variants (`default`, `solo`, and e.g. `workflow` for telecom). */
  readonly loadPolicies: (domainDir: string) => PolicyVariants
  readonly agentToolkit: Toolkit
  readonly userToolkit?: Toolkit
  /** Agent/user synchronisation (telecom only). */
  readonly sync?: (world: Draft) => void
  readonly supportsSolo: boolean
  /** Subtasks that `tau tasks generate` composes into tasks (telecom's task generator). */
  readonly taskFamilies?: ReadonlyArray<TaskFamily>
}

/** A database file of the domain folder and the pydantic model it loads as. */
export type DatabaseFile = readonly [file: string, model: ModelDef, options?: JsonModelOptions]

/** `loadDatabases` for JSON database files (`DB.load`): the agent's and, optionally, the user's. */
export const jsonDatabases =
  (agent: DatabaseFile, user?: DatabaseFile) =>
  (domainDir: string): Tau2Databases => {
    const load = ([name, model, options]: DatabaseFile) => {
      const file = path.join(domainDir, name)
      return { file, db: loadJsonModel(file, model, options) }
    }
    const a = load(agent)
    if (user === undefined) return { agent: a.db, files: [a.file] }
    const u = load(user)
    return { agent: a.db, user: u.db, files: [a.file, u.file] }
  }

/** `loadPolicies` for policies read verbatim: variant name -> file of the domain folder. */
export const policyFiles =
  (files: { readonly default: string } & Readonly<Record<string, string>>) =>
  (domainDir: string): PolicyVariants =>
    Object.fromEntries(Object.entries(files).map(([variant, file]) => [variant, readTextFile(path.join(domainDir, file))])) as PolicyVariants
