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

/** The temporary file beside `target`: same directory, so the rename is atomic (one file system); the pid keeps writers apart. */
const tempFileOf = (target: string): string => path.join(path.dirname(path.resolve(target)), `.${path.basename(target)}.${process.pid}.${Date.now()}.tmp`)

/** Writes through a temporary file; returns why it failed (nothing thrown), after removing the temporary file. */
const writeNow = (target: string, data: string | Uint8Array): unknown => {
  const temp = tempFileOf(target)
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

/** Where `writeFileAtomicStreamed` writes: pieces in order, a failure kept for `check`, `restart` to begin again empty. */
export interface StreamedFile {
  readonly write: (piece: string) => void
  readonly check: () => Effect.Effect<void, FileWriteError>
  readonly restart: () => Effect.Effect<void, FileWriteError>
}

/**
 * Writes `target` atomically as `writeFileAtomic` does, its folder created, its text given in pieces
 * by `fill` (a big file is never held whole): through a temporary file, flushed and renamed into place when `fill`
 * succeeds; removed, leaving any previous file, when it fails or is interrupted.
 */
export const writeFileAtomicStreamed = <A, E, R>(
  target: string,
  fill: (file: StreamedFile) => Effect.Effect<A, E, R>,
): Effect.Effect<A, E | FileWriteError, R> => {
  const failed = (e: unknown) => new FileWriteError({ path: target, reason: e instanceof Error ? e.message : String(e) })
  return Effect.acquireUseRelease(
    Effect.try({
      try: () => {
        const dir = path.dirname(path.resolve(target))
        // The first folder this made (undefined: all were there), so a failed write leaves none behind.
        const made = fs.mkdirSync(dir, { recursive: true })
        const temp = tempFileOf(target)
        return { dir, made, temp, fd: fs.openSync(temp, "wx", 0o644), closed: false, renamed: false }
      },
      catch: failed,
    }),
    (open) =>
      Effect.gen(function* () {
        let position = 0
        let failure: unknown
        const file: StreamedFile = {
          write: (piece) => {
            if (failure !== undefined) return
            try {
              // A string is written without a Buffer of it kept for the GC (a 50 MB record in 1 MiB pieces made
              // 50 MB of them at once); a short write (which files rarely do) finishes from its bytes.
              const length = Buffer.byteLength(piece)
              const written = fs.writeSync(open.fd, piece, position, "utf8")
              if (written < length) {
                const bytes = Buffer.from(piece)
                for (let at = written; at < length; ) at += fs.writeSync(open.fd, bytes, at, length - at, position + at)
              }
              position += length
            } catch (e) {
              failure = e
            }
          },
          check: () => (failure === undefined ? Effect.void : Effect.fail(failed(failure))),
          restart: () =>
            failure === undefined
              ? Effect.try({
                  try: () => {
                    fs.ftruncateSync(open.fd, 0)
                    position = 0
                  },
                  catch: failed,
                })
              : Effect.fail(failed(failure)),
        }
        const result = yield* fill(file)
        yield* file.check()
        yield* Effect.try({
          try: () => {
            fs.fsyncSync(open.fd)
            open.closed = true
            fs.closeSync(open.fd)
            fs.renameSync(open.temp, target)
            open.renamed = true
          },
          catch: failed,
        })
        return result
      }),
    (open) =>
      Effect.sync(() => {
        // Cleaning up must not hide why the write failed (a close can fail on a full disk too).
        try {
          if (!open.closed) fs.closeSync(open.fd)
          if (!open.renamed) {
            fs.rmSync(open.temp, { force: true })
            // The folders made for it, deepest first, while empty (another writer's file keeps them).
            for (let dir = open.dir; open.made !== undefined && dir.length >= open.made.length; dir = path.dirname(dir)) {
              if (fs.readdirSync(dir).length > 0) break
              fs.rmdirSync(dir)
            }
          }
        } catch {
          // the temporary file is left; the error names the target
        }
      }),
  )
}
