/**
 * Reference runtime state that no database dump shows, modelled explicitly in the world
 * (semantics §9.6).
 *
 * `TelecomUserTools.default_vpn_details` is a class attribute, and `_connect_vpn` assigns that very
 * object to the device (no copy). `break_vpn` connects and then sets the device's VPN performance to
 * poor, which therefore degrades the class-level default for the whole Python process: every later
 * `connect_vpn` (in this episode or any later one in the same process) yields a *poor* VPN.
 *
 * We keep this in the world member `_telecom_runtime` (beside `agent` and `user`, so the two
 * databases keep exactly the reference's shape):
 *   - `default_vpn_details`: the current value of the class-level default;
 *   - `device_vpn_is_default`: whether the device's `vpn_details` *is* that object (set by
 *     `connect_vpn`, cleared by a disconnect), i.e. whether a write through it reaches the default.
 * The member is absent until the first change, which means "fresh process" (excellent default).
 * A replay therefore reproduces the quirk from the recorded patches; an orchestrator that wants to
 * emulate a long-lived reference process can start an episode's world with a degraded default.
 */
import type { Draft, PyValue } from "@tau-sim/engine"
import { isObj, type Obj } from "./python.ts"
import { deepClone } from "./working-copy.ts"

export const RUNTIME_KEY = "_telecom_runtime"

export interface Runtime extends Obj {
  default_vpn_details: Obj
  device_vpn_is_default: boolean
}

export const freshRuntime = (): Runtime => ({
  default_vpn_details: { server_address: "192.168.1.1", protocol: "OpenVPN", server_performance: "excellent" },
  device_vpn_is_default: false,
})

const sameJson = (a: PyValue, b: PyValue): boolean => JSON.stringify(a) === JSON.stringify(b)

/** Runs `run` with a mutable copy of the runtime state of `view`'s world; records it if it changed. */
export const withRuntime = <T>(view: Draft, run: (runtime: Runtime) => T): T => {
  const root = view.atRoot()
  const stored = root.get(RUNTIME_KEY)
  const before = isObj(stored) ? (stored as Runtime) : freshRuntime()
  const runtime = deepClone(before)
  try {
    return run(runtime)
  } finally {
    if (!sameJson(before, runtime)) root.set([RUNTIME_KEY], runtime)
  }
}
