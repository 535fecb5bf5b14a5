/** `@tau-sim/store-pg`: the event store on PostgreSQL (ADR 0008). The CLI loads it only for a postgres:// `--db`. */
export { layerPostgres, makePostgresStore, openPostgresStore, type PostgresStoreOptions } from "./postgres.ts"
export { SCHEMA_VERSION as POSTGRES_SCHEMA_VERSION } from "./schema.ts"
export { describeUrl, isPostgresUrl } from "./url.ts"
