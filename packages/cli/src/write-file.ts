/**
 * Every file the CLI writes goes to a temporary file beside the target, is flushed, then renamed
 * into place: a full disk, a kill or a crash leaves the previous file whole, never a truncated one.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect, Schema } from "effect"

export class FileWriteError extends Schema.TaggedError<FileWriteError>()("FileWriteError", {
  path: Schema.String,
  reason: Schema.String,
}) {
  override get message(): string {
    return `cannot write ${this.path}: ${this.reason}`
  }
}

/** Writes through a temporary file; returns why it failed (nothing thrown), after removing the temporary file. */
const writeNow = (target: string, data: string | Uint8Array): unknown => {
  const dir = path.dirname(path.resolve(target))
  // Same directory, so the rename is atomic (one file system); the pid keeps writers apart.
  const temp = path.join(dir, `.${path.basename(target)}.${process.pid}.${Date.now()}.tmp`)
  let fd: number | undefined
  try {
    fd = fs.openSync(temp, "wx", 0o644)
    fs.writeFileSync(fd, data)
    fs.fsyncSync(fd)
    fs.closeSync(fd)
    fd = undefined
    fs.renameSync(temp, target)
    return undefined
  } catch (e) {
    // Cleaning up must not hide why the write failed (a close can fail on a full disk too).
    try {
      if (fd !== undefined) fs.closeSync(fd)
      fs.rmSync(temp, { force: true })
    } catch {
      // the temporary file is left; the error names the target
    }
    return e
  }
}

/** Writes `data` to `target` atomically; failures name the path and keep any previous file. */
export const writeFileAtomic = (target: string, data: string | Uint8Array): Effect.Effect<void, FileWriteError> =>
  Effect.suspend(() => {
    const failure = writeNow(target, data)
    return failure === undefined
      ? Effect.void
      : Effect.fail(new FileWriteError({ path: target, reason: failure instanceof Error ? failure.message : String(failure) }))
  })

/**
 * Writes several files in order, each atomically, creating their folders: a results folder
 * (`resultsFiles` of @tau-sim/interop) lists its simulation files before the index, so a kill
 * part-way leaves no index naming a file that is not there. The first failure stops and is returned.
 */
export const writeFilesAtomic = (files: ReadonlyArray<{ readonly path: string; readonly text: string }>): Effect.Effect<void, FileWriteError> =>
  Effect.forEach(
    files,
    (f) =>
      Effect.try({
        try: () => fs.mkdirSync(path.dirname(path.resolve(f.path)), { recursive: true }),
        catch: (e) => new FileWriteError({ path: f.path, reason: e instanceof Error ? e.message : String(e) }),
      }).pipe(Effect.andThen(writeFileAtomic(f.path, f.text))),
    { discard: true },
  )
