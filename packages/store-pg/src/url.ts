/**
 * PostgreSQL URLs as `--db` takes them: `postgres://user[:password]@host[:port]/database`
 * (`postgresql://` too). A store is named in messages by `describeUrl`, which never includes the
 * userinfo or the query (where a password may be): `postgres://host:port/database`.
 */

/** Whether `--db` names a Postgres store rather than a SQLite file. */
export const isPostgresUrl = (db: string): boolean => /^postgres(ql)?:\/\//i.test(db)

/** The store's name for messages: scheme, host, port and database, without credentials or options. */
export const describeUrl = (url: string): string => {
  try {
    const parsed = new URL(url)
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`
  } catch {
    // Not parseable: say only what kind of thing it was.
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]
    return scheme ? `${scheme}://(unparseable URL)` : "(unparseable URL)"
  }
}
