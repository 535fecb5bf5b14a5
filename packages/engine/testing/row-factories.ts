/**
 * How many row-object factories better-sqlite3 compiles while `body` runs: one per statement when
 * it first returns a row, and one more each time SQLite has prepared the statement again (its
 * row builder compares SQLite's re-prepare count). A statement that SQLite re-prepares on every
 * call, or one prepared anew per call, shows as a count that grows with the calls.
 */
export const rowFactoriesCompiled = (body: () => void): number => {
  const original = globalThis.Function
  let compiled = 0
  // better-sqlite3's factory source makes an object of the columns: `(v0,v1) => ({"seq":v0,...})`.
  const counted = <A>(args: ReadonlyArray<unknown>, make: () => A): A => {
    if (/\) => \(\{/.test(String(args.at(-1) ?? ""))) compiled++
    return make()
  }
  globalThis.Function = new Proxy(original, {
    apply: (target, self, args) => counted(args, () => Reflect.apply(target, self, args)),
    construct: (target, args) => counted(args, () => Reflect.construct(target, args)),
  })
  try {
    body()
  } finally {
    globalThis.Function = original
  }
  return compiled
}
