/**
 * Clean stops. The runtime (`NodeRuntime.runMain`) interrupts the main fiber on SIGINT/SIGTERM:
 * episodes stop at their next hop boundary (every append is one transaction, so nothing half-done
 * is stored), leases are released, the store is closed, and the process exits 130 (SIGINT) or 143
 * (SIGTERM). A second signal exits at once: a transaction is never half-applied by an exit, so at
 * most the hop in progress is lost.
 */
import { Effect, Runtime } from "effect"

const EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const
type StopSignal = keyof typeof EXIT_CODES

let received: StopSignal | null = null

/** The first stop signal received, if any. */
export const stopSignal = (): StopSignal | null => received

const onStopSignal = (signal: StopSignal): void => {
  if (received === null) {
    received = signal
    return
  }
  process.stderr.write(`second stop signal (${signal}): exiting now (everything stored so far is kept)\n`)
  process.exit(EXIT_CODES[received])
}

export const installStopSignals = (): void => {
  for (const signal of Object.keys(EXIT_CODES) as StopSignal[]) process.on(signal, onStopSignal)
}

/**
 * Once the program has ended our handlers go too (as the runtime's do): left installed, they would
 * swallow a first Ctrl-C while the process waits for open handles to close.
 */
const uninstallStopSignals = (): void => {
  for (const signal of Object.keys(EXIT_CODES) as StopSignal[]) process.removeListener(signal, onStopSignal)
}

/**
 * The default teardown, with 143 instead of 130 when SIGTERM stopped the program. A program that
 * finished although a signal came keeps the exit code it set (2 findings, 3 skipped): the runtime
 * calls `process.exit(0)` after a signal, which would otherwise drop it.
 */
export const stopTeardown: Runtime.Teardown = (exit, onExit) => {
  uninstallStopSignals()
  Runtime.defaultTeardown(exit, (code) => {
    if (code === 130 && received !== null) return onExit(EXIT_CODES[received])
    if (code === 0 && typeof process.exitCode === "number") return onExit(process.exitCode)
    onExit(code)
  })
}

/** Says, when a stop signal interrupts `self`, that what was done is kept and how to continue. */
export const resumableOnStop =
  (resumeCommand: () => string | null) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    self.pipe(
      Effect.onInterrupt(() =>
        Effect.sync(() => {
          const command = resumeCommand()
          const why = received ? `stopped by ${received}` : "interrupted"
          process.stderr.write(`${why}: finished work is stored${command ? `; continue with: ${command}` : ""}\n`)
        }),
      ),
    )

/** A path as typed into a shell (quoted when it has to be). */
export const shellArg = (value: string): string => (/^[A-Za-z0-9_./:=@%+-][A-Za-z0-9_./:=@%+~-]*$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`)
