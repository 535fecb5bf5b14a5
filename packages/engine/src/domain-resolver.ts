/**
 * Which domains exist is decided by the composition root (the CLI, later the viewer and workers),
 * never by library code: runs, replay and interop ask this service for a domain by reference.
 */
import { Context, type Effect, Schema } from "effect"
import type { Domain } from "./domain.ts"

/** A domain as a run records it: name, data folder (absolute; null for built-in data) and policy variant. */
export interface DomainRef {
  readonly domain: string
  readonly dataDir: string | null
  readonly policyVariant: string
}

/** The domain cannot be had: unknown name, no data folder, unreadable or invalid data, unknown policy variant. */
export class DomainUnavailable extends Schema.TaggedError<DomainUnavailable>()("DomainUnavailable", {
  domain: Schema.String,
  message: Schema.String,
}) {}

export class DomainResolver extends Context.Service<
  DomainResolver,
  {
    /** The domain a reference names, loaded (the resolver may cache loaded domains). */
    readonly resolve: (ref: DomainRef) => Effect.Effect<Domain, DomainUnavailable>
    /** A reference as a run should record it: the data folder made absolute, a default one filled in where the domain has one. */
    readonly ref: (domain: string, dataDir: string | null | undefined, policyVariant?: string) => DomainRef
  }
>()("@tau-sim/engine/DomainResolver") {}
