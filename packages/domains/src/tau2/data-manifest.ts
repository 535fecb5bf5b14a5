/**
 * The content hashes of tau2-bench's `data/tau2/` files that we ship (`data-manifest.json`, written by
 * `scripts/tau2-data-manifest.ts`): what `tau data fetch` checks a downloaded archive against.
 */
// A JSON module (not a file read beside the source) so that the bundled `tau` carries it too.
import shipped from "./data-manifest.json" with { type: "json" }

export interface ManifestFile {
  readonly sha256: string
  readonly size: number
}

interface Manifest {
  readonly commits: Record<string, { readonly files: Record<string, ManifestFile> }>
}

const load = (): Manifest => shipped as Manifest

/** The commits we have hashes for. */
export const tau2ManifestCommits = (): ReadonlyArray<string> => Object.keys(load().commits)

/** Relative path (under `data/tau2/`, `/`-separated) → hash and size, for `commit`; undefined when we have none. */
export const tau2DataManifest = (commit: string): Readonly<Record<string, ManifestFile>> | undefined => load().commits[commit]?.files
