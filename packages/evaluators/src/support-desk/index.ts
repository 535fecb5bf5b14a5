/** The `support-desk` evaluator set: confirm before write, escalation, grounded claims, unsafe actions. */
export * from "./evaluate.ts"
export { episodeFromLog, episodeFromTrajectory, SupportDeskInputError, type SupportDeskEpisode, type TrajectoryOptions } from "./episode.ts"
export { ListedCall } from "./calls.ts"
export * from "./confirm-before-write.ts"
export * from "./escalation.ts"
export { Claim, GroundedClaims, groundedClaims } from "./grounded-claims.ts"
export { type Fact, FACT_KINDS, type FactKind, factsIn } from "./facts.ts"
export * from "./unsafe-actions.ts"
