/**
 * `@tau-sim/domains`: the demo domain, the τ² domains (mock, airline, retail, telecom) and their
 * data loader, domains loaded from a path, task files, and `tau domain init`'s scaffold.
 */
export type { Tau2Databases, Tau2DomainModule } from "./tau2/module.ts"
export { DataFileError } from "./tau2/errors.ts"
export { listTau2Domains, tau2Module, type Tau2DomainName, UnknownDomainError } from "./tau2/registry.ts"
export {
  clearTau2Cache,
  loadTau2Domain,
  loadTau2Split,
  type LoadTau2Options,
  readSplits,
  readTaskFile,
  tasksOfSplit,
  tau2DomainDir,
  UnknownPolicyVariantError,
  UnknownSplitError,
} from "./tau2/load.ts"
export { hashFiles, hashTexts, sha256, tau2DbHash } from "./tau2/hash.ts"
export { type ManifestFile, tau2DataManifest, tau2ManifestCommits } from "./tau2/data-manifest.ts"
export { DEFAULT_TAU2_COMMIT, tau2DataCacheDir, tau2DataCacheRoot } from "./tau2/data-cache.ts"
export { type DecodeOptions, decodeOrThrow, deepFreeze, formatPath, readJsonFile, readTextFile } from "./tau2/validate.ts"
export { type PydanticErrorDetail, PydanticValidationError, validationErrorText } from "./tau2/pydantic.ts"
export { hasKey, requireField } from "./tau2/python.ts"
export { mockModule } from "./tau2/mock/index.ts"
export { builtinDomains, TAU2_DOMAINS } from "./resolve.ts"
export { noDataHint, resolveDataDir } from "./data-dir.ts"
export { domainFiles, hashDomainFiles, isDomainPath, loadDomainModule } from "./module/load.ts"
export { shareHostModules } from "./module/host.ts"
export { isPathDomainRef, movedDomainRef } from "./module/moved.ts"
export { domainWithTasksFile, parseDomainSpec, readTasksFile, withTasksFile } from "./tasks-file.ts"
export { domainNameOf, ScaffoldError, scaffoldDomain, scaffoldFiles } from "./scaffold/index.ts"
