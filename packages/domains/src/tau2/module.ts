/**
 * What each τ² domain module provides; `load.ts` turns it plus the data folder into a `Domain`.
 */
import type { Draft, PolicyVariants, PyValue, Toolkit } from "@tau-sim/engine"

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
}
