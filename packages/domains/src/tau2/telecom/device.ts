/**
 * The simulated phone (`TelecomUserTools`' private methods, semantics §4.4.3): network search,
 * mobile data, speed test, MMS, the status bar, and the toggles the user tools and the task
 * initialisation helpers share. Everything works on a working copy of the user database
 * `{device, surroundings}` and mutates it in place, as the reference does.
 */
import { type PyValue, pyRound, truthy } from "@tau-sim/engine"
import { defaultsOf } from "../pydantic.ts"
import { APNSettings } from "./models.ts"
import { attr, dbField, isObj, type Obj } from "./python.ts"
import type { Runtime } from "./runtime.ts"
import { deepClone } from "./working-copy.ts"

export interface UserDb {
  readonly device: Obj
  readonly surroundings: Obj
}

/** The user database's two models (raises like Python if a task replaced one with something else). */
export const userDb = (db: Obj): UserDb => ({ device: dbField(db, "device") as Obj, surroundings: dbField(db, "surroundings") as Obj })

// --- SIM and network search -------------------------------------------------------------------

/** `_check_sim_status`: a missing SIM wins over its lock status. */
export const simStatus = ({ device }: UserDb): PyValue => (truthy(device.sim_card_missing) ? "missing" : device.sim_card_status)

const signalFor = (surroundings: Obj, tech: string): PyValue => {
  const strengths = surroundings.signal_strength
  return isObj(strengths) && Object.hasOwn(strengths, tech) ? strengths[tech] : "none"
}

const noService = (device: Obj) => {
  device.network_connection_status = "no_service"
  device.network_technology_connected = "none"
  device.network_signal_strength = "none"
}

const PREFERENCE_TECH: Readonly<Record<string, string>> = { "4g_only": "4G", "3g_only": "3G", "2g_only": "2G" }

/** `simulate_network_search`: connects by SIM state and mode preference, then applies blockers. */
export const simulateNetworkSearch = (u: UserDb): void => {
  const { device, surroundings } = u
  if (simStatus(u) === "active") {
    device.network_connection_status = "connected"
    const pref = device.network_mode_preference
    if (pref === "4g_5g_preferred") {
      const fiveG = signalFor(surroundings, "5G")
      if (fiveG === "none") {
        device.network_technology_connected = "4G"
        device.network_signal_strength = signalFor(surroundings, "4G")
      } else {
        device.network_technology_connected = "5G"
        device.network_signal_strength = fiveG
      }
    } else {
      // 4g_only / 3g_only / 2g_only, and 4G for anything else (the reference's fallback branch).
      const tech = typeof pref === "string" && Object.hasOwn(PREFERENCE_TECH, pref) ? PREFERENCE_TECH[pref] : "4G"
      device.network_technology_connected = tech
      device.network_signal_strength = signalFor(surroundings, tech)
    }
  } else {
    noService(device)
  }
  if (truthy(device.airplane_mode)) noService(device)
  if (attr(device.active_apn_settings, "apn_name") === "broken") noService(device)
  if (!truthy(surroundings.line_active)) noService(device)
}

// --- mobile data, speed, MMS ------------------------------------------------------------------

/** `_get_mobile_data_working`. */
export const mobileDataWorking = ({ device, surroundings }: UserDb): boolean => {
  if (truthy(device.airplane_mode) || device.network_signal_strength === "none") return false
  if (device.network_connection_status === "no_service") return false
  if (truthy(surroundings.is_abroad) && (!truthy(device.roaming_enabled) || !truthy(surroundings.roaming_allowed))) return false
  if (!truthy(device.data_enabled)) return false
  if (truthy(surroundings.mobile_data_usage_exceeded)) return false
  return true
}

const TECH_SPEED: Readonly<Record<string, readonly [number, number]>> = {
  "2G": [0.1, 0.4],
  "3G": [1.0, 5.0],
  "4G": [10.0, 100.0],
  "5G": [50.0, 500.0],
}
const SIGNAL_FACTOR: Readonly<Record<string, number>> = { poor: 0.2, fair: 0.5, good: 0.8, excellent: 1.0 }

export interface SpeedTest {
  /** Mbps rounded to 2 digits (a Python float), or null without a connection. */
  readonly speed: number | null
  readonly description: string
}

/** `_run_speed_test`: midpoint of the technology's range × signal factor × VPN/data-saver factor. */
export const runSpeedTest = (u: UserDb): SpeedTest => {
  const { device } = u
  if (!mobileDataWorking(u)) return { speed: null, description: "No Connection" }
  let factor = truthy(device.vpn_connected) && isObj(device.vpn_details) && device.vpn_details.server_performance === "poor" ? 0.1 : 1.0
  if (truthy(device.data_saver_mode)) factor *= 0.2
  const tech = device.network_technology_connected
  const [min, max] = typeof tech === "string" && Object.hasOwn(TECH_SPEED, tech) ? TECH_SPEED[tech] : [0.0, 0.0]
  const strength = device.network_signal_strength
  const signal = typeof strength === "string" && Object.hasOwn(SIGNAL_FACTOR, strength) ? SIGNAL_FACTOR[strength] : 0.0
  const speed = pyRound(((min + max) / 2.0) * signal * factor, 2)
  const description = speed < 1 ? "Very Poor" : speed < 5 ? "Poor" : speed < 25 ? "Fair" : speed < 100 ? "Good" : "Excellent"
  return { speed, description }
}

/** `_can_send_mms`. */
export const canSendMms = (u: UserDb): boolean => {
  const { device } = u
  if (!mobileDataWorking(u)) return false
  if (device.network_technology_connected === "2G") return false
  if (truthy(device.wifi_calling_enabled) && truthy(device.wifi_calling_mms_over_wifi)) return false
  if (attr(device.active_apn_settings, "mmsc_url") === null) return false
  const apps = device.app_statuses
  const messaging = isObj(apps) && Object.hasOwn(apps, "messaging") ? apps.messaging : undefined
  if (messaging === undefined || messaging === null) return false
  const permissions = attr(messaging, "permissions")
  // `storage and sms`: Python returns the deciding operand; the callers only test its truth.
  return truthy(attr(permissions, "storage")) && truthy(attr(permissions, "sms"))
}

// --- status bar -------------------------------------------------------------------------------

const SIGNAL_ICON: Readonly<Record<string, string>> = {
  none: "\u{1F4F5} No Signal",
  poor: "\u{1F4F6}\u00B9 Poor",
  fair: "\u{1F4F6}\u00B2 Fair",
  good: "\u{1F4F6}\u00B3 Good",
  excellent: "\u{1F4F6}\u2074 Excellent",
}

/** `_check_status_bar`: the icons joined by ` | `. */
export const statusBar = ({ device }: UserDb): string => {
  const parts: string[] = []
  if (truthy(device.airplane_mode)) {
    parts.push("\u2708\uFE0F Airplane Mode")
  } else {
    const strength = device.network_signal_strength
    parts.push(typeof strength === "string" && Object.hasOwn(SIGNAL_ICON, strength) ? SIGNAL_ICON[strength] : SIGNAL_ICON.none)
    const tech = device.network_technology_connected
    if (tech !== "none") parts.push(String(tech))
    if (truthy(device.data_enabled) && tech !== "none") {
      parts.push("\u{1F4F1} Data Enabled")
      if (truthy(device.data_saver_mode)) parts.push("\u{1F53D} Data Saver")
    } else {
      parts.push("\u{1F4F5} Data Disabled")
    }
  }
  if (truthy(device.wifi_enabled) && truthy(device.wifi_connected)) {
    parts.push(truthy(device.wifi_ssid) ? `\u{1F4E1} Connected to ${String(device.wifi_ssid)}` : "\u{1F4E1} Enabled")
  }
  if (truthy(device.vpn_connected)) parts.push("\u{1F512} VPN Connected")
  parts.push(`\u{1F50B} ${String(device.battery_level)}%`)
  return parts.join(" | ")
}

// --- toggles shared by tools and initialisation helpers ---------------------------------------

const dropWifiConnection = (device: Obj) => {
  device.wifi_connected = false
  device.wifi_ssid = null
  device.wifi_signal_strength = "none"
}

/** `_disconnect_vpn`. */
export const disconnectVpn = ({ device }: UserDb, runtime: Runtime): boolean => {
  if (!truthy(device.vpn_connected)) return false
  device.vpn_connected = false
  device.vpn_details = null
  runtime.device_vpn_is_default = false
  return true
}

/**
 * `_connect_vpn`: the device gets the toolkit's class-level default VPN *object* (no copy), so a
 * later `break_vpn` degrades that default for everyone (semantics §9.6; see `runtime.ts`).
 */
export const connectVpn = ({ device }: UserDb, runtime: Runtime): boolean | null => {
  if (truthy(device.vpn_connected)) return null
  device.vpn_connected = true
  device.vpn_details = deepClone(runtime.default_vpn_details)
  runtime.device_vpn_is_default = true
  return true
}

/** `_toggle_airplane_mode`: returns the new state. */
export const toggleAirplaneMode = (u: UserDb, runtime: Runtime): boolean => {
  const { device } = u
  const wasOn = truthy(device.airplane_mode)
  device.airplane_mode = !wasOn
  if (wasOn) {
    device.network_connection_status = "searching"
    if (truthy(device.wifi_enabled)) dropWifiConnection(device)
  } else {
    dropWifiConnection(device)
    if (truthy(device.vpn_connected)) disconnectVpn(u, runtime)
  }
  simulateNetworkSearch(u)
  return truthy(device.airplane_mode)
}

/** `_toggle_data`. */
export const toggleData = (u: UserDb): boolean => {
  const next = !truthy(u.device.data_enabled)
  u.device.data_enabled = next
  simulateNetworkSearch(u)
  return next
}

/** `_toggle_roaming`. */
export const toggleRoaming = (u: UserDb): boolean => {
  const next = !truthy(u.device.roaming_enabled)
  u.device.roaming_enabled = next
  simulateNetworkSearch(u)
  return next
}

/** `_toggle_data_saver_mode` (no network search). */
export const toggleDataSaverMode = (u: UserDb): boolean => {
  const next = !truthy(u.device.data_saver_mode)
  u.device.data_saver_mode = next
  return next
}

/** `_toggle_wifi_calling`. */
export const toggleWifiCalling = (u: UserDb): boolean => {
  const next = !truthy(u.device.wifi_calling_enabled)
  u.device.wifi_calling_enabled = next
  return next
}

/** `_toggle_wifi`: null (refused) in airplane mode. */
export const toggleWifi = ({ device }: UserDb): boolean | null => {
  if (truthy(device.airplane_mode)) return null
  const next = !truthy(device.wifi_enabled)
  device.wifi_enabled = next
  if (!next) dropWifiConnection(device)
  return next
}

/** `_reboot_device`: applies a pending APN reset, then searches the network again. */
export const rebootDevice = (u: UserDb): string => {
  const lines: string[] = []
  if (truthy(attr(u.device.active_apn_settings, "reset_at_reboot"))) {
    lines.push("Resetting APN settings...")
    u.device.active_apn_settings = defaultsOf(APNSettings)
  }
  lines.push("Restarting network services...")
  u.device.network_connection_status = "searching"
  simulateNetworkSearch(u)
  return lines.join("\n")
}
