/**
 * Pure pieces of the telecom domain: Python operators, the calendar, change recording, the device
 * simulation rules and APN validation.
 */
import { Draft, float, type PyValue } from "@tau-sim/engine"
import { describe, expect, it } from "vitest"
import { build, defaultsOf } from "../../src/tau2/pydantic.ts"
import { firstOfNextMonth, lastOfMonth, lastOfPreviousMonth } from "../../src/tau2/telecom/calendar.ts"
import { canSendMms, mobileDataWorking, runSpeedTest, simulateNetworkSearch, statusBar, type UserDb } from "../../src/tau2/telecom/device.ts"
import { APNSettings, TelecomUserDB } from "../../src/tau2/telecom/models.ts"
import { type Obj, pyAdd, pyCompare, sliceTo } from "../../src/tau2/telecom/python.ts"
import { deepClone, recordChanges } from "../../src/tau2/telecom/working-copy.ts"

const phone = (device: Obj = {}, surroundings: Obj = {}): UserDb => {
  const db = deepClone(defaultsOf(TelecomUserDB)) as { device: Obj; surroundings: Obj }
  return { device: { ...db.device, ...device }, surroundings: { ...db.surroundings, ...surroundings } }
}

describe("Python operators", () => {
  it("keep int and float apart and raise CPython's TypeErrors", () => {
    expect(pyAdd(1, 2)).toBe(3)
    expect(pyAdd(float(0), 2)).toEqual(float(2))
    expect(pyAdd(true, 1)).toBe(2)
    expect(pyCompare(float(15.1), ">=", float(15))).toBe(true)
    expect(() => pyCompare("3", "<=", 0)).toThrow("'<=' not supported between instances of 'str' and 'int'")
    expect(() => pyAdd(float(1), null, true)).toThrow("unsupported operand type(s) for +=: 'float' and 'NoneType'")
    expect(sliceTo([1, 2, 3], -1)).toEqual([1, 2])
    expect(sliceTo([1, 2, 3], true)).toEqual([1])
  })
})

describe("calendar", () => {
  it("computes the reference's month boundaries", () => {
    expect(firstOfNextMonth("2025-02-25")).toBe("2025-03-01")
    expect(firstOfNextMonth("2025-12-31")).toBe("2026-01-01")
    expect(lastOfMonth("2024-02-10")).toBe("2024-02-29")
    expect(lastOfMonth("2025-12-01")).toBe("2025-12-31")
    expect(lastOfPreviousMonth("2025-03-01")).toBe("2025-02-28")
  })
})

describe("change recording", () => {
  it("records leaf writes only, distinguishing 1 from 1.0, and appends as array adds", () => {
    const before = { a: { x: 1, y: float(1) }, list: [1] } as PyValue
    const after = deepClone(before) as { a: Obj; list: PyValue[] }
    after.a.x = float(1)
    after.list.push(2)
    const draft = new Draft({ db: before }).at("db")
    recordChanges(draft, [], before, after)
    expect(draft.ops).toEqual([
      { op: "replace", path: "/db/a/x", value: float(1) },
      { op: "add", path: "/db/list/1", value: 2 },
    ])
  })

  it("replaces an object whose key order changed (order is part of a model dump)", () => {
    const before = { m: { a: 1, b: 2 } } as PyValue
    const draft = new Draft(before)
    recordChanges(draft, [], before, { m: { b: 2, a: 1 } })
    expect(draft.ops).toEqual([{ op: "replace", path: "/m", value: { b: 2, a: 1 } }])
  })
})

describe("device simulation", () => {
  it("connects by mode preference with the surroundings' signal, 4G when 5G has none", () => {
    const u = phone({ network_mode_preference: "3g_only" })
    simulateNetworkSearch(u)
    expect(u.device).toMatchObject({ network_connection_status: "connected", network_technology_connected: "3G", network_signal_strength: "fair" })
    const no5g = phone({}, { signal_strength: { "2G": "poor", "3G": "fair", "4G": "good", "5G": "none" } })
    simulateNetworkSearch(no5g)
    expect(no5g.device).toMatchObject({ network_technology_connected: "4G", network_signal_strength: "good" })
  })

  it("has no service with a missing or locked SIM, in airplane mode, with a broken APN or an inactive line", () => {
    const cases: UserDb[] = [
      phone({ sim_card_missing: true }),
      phone({ sim_card_status: "locked_puk" }),
      phone({ airplane_mode: true }),
      phone({ active_apn_settings: { ...((defaultsOf(TelecomUserDB) as { device: Obj }).device.active_apn_settings as Obj), apn_name: "broken" } }),
      phone({}, { line_active: false }),
    ]
    for (const u of cases) {
      simulateNetworkSearch(u)
      expect(u.device).toMatchObject({ network_connection_status: "no_service", network_technology_connected: "none", network_signal_strength: "none" })
      expect(mobileDataWorking(u)).toBe(false)
    }
  })

  it("needs device roaming and a roaming-enabled line abroad for mobile data", () => {
    expect(mobileDataWorking(phone({}, { is_abroad: true, roaming_allowed: true }))).toBe(false)
    expect(mobileDataWorking(phone({ roaming_enabled: true }, { is_abroad: true, roaming_allowed: true }))).toBe(true)
    expect(mobileDataWorking(phone({ roaming_enabled: true }, { is_abroad: true }))).toBe(false)
    expect(mobileDataWorking(phone({}, { mobile_data_usage_exceeded: true }))).toBe(false)
  })

  it("measures speed as range midpoint x signal x VPN/data-saver factors, rounded like Python", () => {
    const speed = (device: Obj) => runSpeedTest(phone(device))
    expect(speed({ network_signal_strength: "excellent" })).toEqual({ speed: 275, description: "Excellent" })
    expect(speed({ network_technology_connected: "2G", network_signal_strength: "poor" })).toEqual({ speed: 0.05, description: "Very Poor" })
    expect(speed({ network_technology_connected: "4G", data_saver_mode: true })).toEqual({ speed: 8.8, description: "Fair" })
    const vpn = { vpn_connected: true, vpn_details: { server_address: null, protocol: null, server_performance: "poor" } }
    expect(speed({ ...vpn, network_signal_strength: "excellent", data_saver_mode: true })).toEqual({ speed: 5.5, description: "Fair" })
    expect(speed({ data_enabled: false })).toEqual({ speed: null, description: "No Connection" })
  })

  it("sends MMS only over working data, 3G or better, without MMS-over-Wi-Fi calling, with an MMSC and permissions", () => {
    expect(canSendMms(phone())).toBe(true)
    expect(canSendMms(phone({ network_technology_connected: "2G" }))).toBe(false)
    expect(canSendMms(phone({ wifi_calling_enabled: true, wifi_calling_mms_over_wifi: true }))).toBe(false)
    expect(canSendMms(phone({ wifi_calling_enabled: true }))).toBe(true)
    const noStorage = phone()
    ;((noStorage.device.app_statuses as Obj).messaging as { permissions: Obj }).permissions.storage = false
    expect(canSendMms(noStorage)).toBe(false)
  })

  it("draws the status bar icons", () => {
    expect(statusBar(phone())).toBe("\u{1F4F6}\u00B3 Good | 5G | \u{1F4F1} Data Enabled | \u{1F50B} 80%")
    expect(statusBar(phone({ wifi_enabled: true, wifi_connected: true, wifi_ssid: "Home", vpn_connected: true, data_enabled: false }))).toBe(
      "\u{1F4F6}\u00B3 Good | 5G | \u{1F4F5} Data Disabled | \u{1F4E1} Connected to Home | \u{1F512} VPN Connected | \u{1F50B} 80%",
    )
    expect(statusBar(phone({ airplane_mode: true, battery_level: 5 }))).toBe("\u2708\uFE0F Airplane Mode | \u{1F50B} 5%")
  })
})

describe("APN settings validation", () => {
  it("fills defaults and coerces like pydantic's lax mode", () => {
    expect(build(APNSettings, { reset_at_reboot: "yes", mms_port: "80" })).toEqual({
      apn_name: "internet",
      reset_at_reboot: true,
      mms_apn: "mms",
      mmsc_url: "http://mms.carrier.com/mms/wapenc",
      mms_proxy: null,
      mms_port: 80,
    })
    expect(() => build(APNSettings, { reset_at_reboot: "maybe", mmsc_url: 5 })).toThrow(
      /^2 validation errors for APNSettings\nreset_at_reboot\n {2}Input should be a valid boolean, unable to interpret input \[type=bool_parsing, input_value='maybe', input_type=str\]/,
    )
  })
})
