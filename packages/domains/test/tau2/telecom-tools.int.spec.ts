/**
 * Telecom tool behaviour the reference fixtures do not reach: read tools, Python-typed argument
 * quirks, random draft bills, the dual-control sync of payments, solo routing and the process-wide
 * VPN quirk (semantics §9.6).
 */
import {
  applyInitialState,
  executeToolCall,
  float,
  materialize,
  type Node,
  nodeAt,
  type PyValue,
  runHelper,
  seededRandom,
  syncWorld,
  type Task,
} from "@tau-sim/engine"
import { beforeEach, expect, it } from "vitest"
import { RUNTIME_KEY } from "../../src/tau2/telecom/index.ts"
import { needsData } from "../../testing/index.ts"
import { telecomDomain } from "../conformance/telecom-domain.ts"

const data = needsData("tau2")

const domain = data.ifPresent(() => telecomDomain())

/** A little episode: tool calls and helpers against one evolving world. */
class Session {
  world: Node = domain.initialWorld
  #n = 0
  call(requestor: "user" | "assistant", name: string, args: Record<string, PyValue> = {}, options: { solo?: boolean } = {}) {
    const outcome = executeToolCall(domain, this.world, { id: `c${this.#n}`, name, arguments: args, requestor }, { random: seededRandom(this.#n++) }, options)
    this.world = outcome.world
    return outcome
  }
  agent = (name: string, args: Record<string, PyValue> = {}) => this.call("assistant", name, args)
  user = (name: string, args: Record<string, PyValue> = {}) => this.call("user", name, args)
  helper(side: "user" | "agent", name: string, args: Record<string, PyValue> = {}): PyValue {
    const ran = runHelper(domain, this.world, side, name, args, { random: seededRandom(0) })
    this.world = syncWorld(domain, ran.world).world
    return ran.result
  }
  get(...path: string[]): PyValue | undefined {
    const node = nodeAt(this.world, path)
    return node === undefined ? undefined : materialize(node)
  }
}

let s: Session
beforeEach(() => {
  s = new Session()
})

data.describe("telecom agent tools", () => {
  it("render customers and devices like pydantic's model_dump with default=str (datetimes with a space)", () => {
    const customer = s.agent("get_customer_by_phone", { phone_number: "555-123-2002" }).output
    expect(customer).toContain(`"created_at": "2025-01-15 10:30:00", "last_extension_date": null, "goodwill_credit_used_this_year": 25.0}`)
    expect(s.agent("get_customer_by_name", { full_name: "john SMITH", dob: "1985-06-15" }).output).toBe(`[${customer}]`)
    expect(s.agent("get_customer_by_name", { full_name: "John Smith", dob: "1985-06-16" }).output).toBe("[]")
    expect(s.agent("get_details_by_id", { id: "D1002" }).output).toBe(
      `{"device_id": "D1002", "device_type": "phone", "model": "Smartphone Pro Max", "imei": "234567890123456", "is_esim_capable": true, "activated": true, "activation_date": "2025-02-15 11:45:00", "last_esim_transfer_date": "2025-01-20 09:30:00"}`,
    )
    expect(s.agent("get_details_by_id", { id: "P1003" }).output).toBe(
      `{"plan_id": "P1003", "name": "Unlimited Plus", "data_limit_gb": 999.0, "price_per_month": 85.0, "data_refueling_price_per_gb": 0.1}`,
    )
  })

  it("raise the reference's errors, including CPython's for arguments of the wrong type", () => {
    expect(s.agent("get_details_by_id", { id: "X1" }).output).toBe("Error: Unknown ID format or type: X1")
    expect(s.agent("get_details_by_id", { id: 5 }).output).toBe("Error: 'int' object has no attribute 'startswith'")
    expect(s.agent("get_customer_by_id", { customer_id: "C9" }).output).toBe("Error: Customer with ID C9 not found")
    expect(s.agent("get_customer_by_phone", { phone_number: "555" }).output).toBe("Error: Customer with phone number 555 not found")
    expect(s.agent("suspend_line", { customer_id: "C1001", line_id: "L1004", reason: "x" }).output).toBe("Error: Line L1004 not found for customer C1001")
    expect(s.agent("suspend_line", { customer_id: "C1001", line_id: "L1003", reason: "x" }).output).toBe("Error: Line must be active to suspend")
    expect(s.agent("resume_line", { customer_id: "C1001", line_id: "L1002" }).output).toBe("Error: Line must be suspended to resume")
    expect(s.agent("refuel_data", { customer_id: "C1001", line_id: "L1002", gb_amount: 0 }).output).toBe("Error: Refuel amount must be positive")
    expect(s.agent("refuel_data", { customer_id: "C1001", line_id: "L1002", gb_amount: "3" }).output).toBe(
      "Error: '<=' not supported between instances of 'str' and 'int'",
    )
    const unknownArg = s.agent("enable_roaming", { customer_id: "C1001", line_id: "L1002", force: true })
    expect(unknownArg).toMatchObject({ error: true, output: "Error: TelecomTools.enable_roaming() got an unexpected keyword argument 'force'" })
  })

  it("sort bills newest first and slice with Python semantics", () => {
    const ids = (limit?: PyValue) => {
      const out = s.agent("get_bills_for_customer", limit === undefined ? { customer_id: "C1001" } : { customer_id: "C1001", limit })
      return out.error ? out.output : (JSON.parse(out.output) as { bill_id: string }[]).map((b) => b.bill_id)
    }
    expect(ids()).toEqual(["B1003", "B1002", "B1001"])
    expect(ids(2)).toEqual(["B1003", "B1002"])
    expect(ids(-1)).toEqual(["B1003", "B1002"])
    expect(ids(null)).toEqual(["B1003", "B1002", "B1001"])
    expect(ids(float(1))).toBe("Error: slice indices must be integers or None or have an __index__ method")
  })

  it("stringify bare numbers of plain-dict results and echo the refuel amount as Python prints it", () => {
    expect(s.agent("get_data_usage", { customer_id: "C1001", line_id: "L1002" }).output).toBe(
      `{"line_id": "L1002", "data_used_gb": "8.7", "data_limit_gb": "15.0", "data_refueling_gb": "0.0", "cycle_end_date": "2025-02-28"}`,
    )
    expect(s.agent("refuel_data", { customer_id: "C1001", line_id: "L1002", gb_amount: 2 }).output).toBe(
      `{"message": "Successfully added 2 GB of data for line L1002 for $4.00", "new_data_refueling_gb": "2.0", "charge": "4.0"}`,
    )
    expect(s.get("agent", "bills", "2")).toMatchObject({
      bill_id: "B1003",
      total_due: float(4),
      line_items: [{ description: "Data refueling: 2 GB at $2.0/GB", amount: float(4) }],
    })
  })

  it("create a Draft bill with a random id B<8 hex> from the call's random source when the customer has none", () => {
    const out = s.agent("refuel_data", { customer_id: "C1002", line_id: "L1004", gb_amount: float(3) })
    expect(out.output).toBe(
      `{"message": "Successfully added 3.0 GB of data for line L1004 for $0.30", "new_data_refueling_gb": "3.0", "charge": "0.30000000000000004"}`,
    )
    const bill = s.get("agent", "bills", "6") as Record<string, PyValue>
    expect(bill.bill_id).toMatch(/^B[0-9a-f]{8}$/)
    expect(bill).toMatchObject({
      customer_id: "C1002",
      period_start: "2025-03-01",
      period_end: "2025-03-31",
      issue_date: "2025-03-01",
      due_date: "2025-03-15",
      status: "Draft",
    })
    expect(s.get("agent", "customers", "1", "bill_ids")).toEqual(["B1004", "B1005", bill.bill_id])
    // The same call with the same random source gives the same id (replays are exact).
    const again = new Session()
    again.agent("refuel_data", { customer_id: "C1002", line_id: "L1004", gb_amount: float(3) })
    expect(again.get("agent", "bills", "6", "bill_id")).toBe(bill.bill_id)
  })
})

data.describe("telecom dual control", () => {
  it("turns an Awaiting-Payment bill into the user's payment request and a paid request into a Paid bill", () => {
    s.helper("user", "set_user_info", { name: "Sarah Johnson", phone_number: "555-123-2004" })
    expect(s.user("check_payment_request").output).toBe("No payment request has been made.")
    expect(s.user("make_payment").output).toBe("You do not have a payment request.")
    expect(s.agent("send_payment_request", { customer_id: "C1002", bill_id: "B1005" }).output).toBe("Payment request sent to the customer for bill B1005")
    expect(s.get("user", "surroundings", "payment_request")).toEqual({ bill_id: "B1005", amount_due: float(425), paid: false })
    expect(s.agent("send_payment_request", { customer_id: "C1002", bill_id: "B1004" }).output).toBe(
      "Error: A bill is already awaiting payment for this customer",
    )
    expect(s.user("check_payment_request").output).toBe("You have a payment request for bill B1005 of 425.0 USD.")
    expect(s.user("make_payment").output).toBe("Payment of 425.0 USD has been made for bill B1005.")
    expect(s.get("agent", "bills", "4", "status")).toBe("Paid")
    expect(s.get("user", "surroundings", "payment_request")).toBe(null)
  })

  it("does not reconnect the phone when the line is resumed: a reboot is needed", () => {
    s.helper("user", "set_user_info", { name: "John Smith", phone_number: "555-123-2002" })
    s.helper("agent", "suspend_line_for_overdue_bill", { customer_id: "C1001", line_id: "L1002", new_bill_id: "B1", contract_ended: false })
    s.helper("user", "simulate_network_search")
    expect(s.user("check_status_bar").output).toBe("Status Bar: \u{1F4F5} No Signal | \u{1F4F5} Data Disabled | \u{1F50B} 80%")
    s.agent("send_payment_request", { customer_id: "C1001", bill_id: "B1" })
    s.user("make_payment")
    expect(s.agent("resume_line", { customer_id: "C1001", line_id: "L1002" }).error).toBe(false)
    expect(s.get("user", "surroundings", "line_active")).toBe(true)
    expect(s.user("check_network_status").output).toContain("Cellular Connection: no_service")
    expect(s.user("reboot_device").output).toBe(
      "Restarting network services...\nStatus Bar: \u{1F4F6}\u2074 Excellent | 5G | \u{1F4F1} Data Enabled | \u{1F50B} 80%",
    )
  })

  it("reports a sync failure (no line for the user's number) as the tool call's error", () => {
    const args = { name: "Nobody", phone_number: "555-000-0000" }
    // As an initialisation action the sync failure aborts the set-up ...
    expect(() => s.helper("user", "set_user_info", args)).toThrow("Line with phone number 555-000-0000 not found")
    // ... after a tool call it becomes that call's error output.
    s.world = runHelper(domain, s.world, "user", "set_user_info", args, { random: seededRandom(0) }).world
    expect(s.user("check_status_bar")).toMatchObject({ error: true, output: "Error: Line with phone number 555-000-0000 not found" })
  })

  it("fails like the reference when initialisation data re-points the user toolkit at the agent DB", () => {
    const task = { id: "t", user_scenario: { instructions: "x" }, initial_state: { initialization_data: { agent_data: { plans: [] } } } } as unknown as Task
    expect(() => applyInitialState(domain, task)).toThrow("'TelecomDB' object has no attribute 'surroundings'")
  })

  it("routes user tools through the assistant in solo mode and refuses user calls there", () => {
    expect(s.call("assistant", "check_sim_status", {}, { solo: true }).output).toBe("Your SIM card is active and working.")
    expect(s.call("user", "check_sim_status", {}, { solo: true }).output).toBe("Error: User tool calls are not allowed in solo mode")
    expect(s.call("assistant", "check_sim_status").output).toBe("Error: Tool 'check_sim_status' not found.")
  })
})

data.describe("telecom user tools", () => {
  it("print the VPN details as a Python dict with the enum member's repr", () => {
    expect(s.user("check_vpn_status").output).toBe("VPN is turned OFF.")
    expect(s.user("connect_vpn").output).toBe(
      "VPN connected successfully.\nStatus Bar: \u{1F4F6}\u00B3 Good | 5G | \u{1F4F1} Data Enabled | \u{1F512} VPN Connected | \u{1F50B} 80%",
    )
    expect(s.user("connect_vpn").output).toBe("VPN already connected.")
    expect(s.user("check_vpn_status").output).toBe(
      "VPN is ON and connected. Details: {'server_address': '192.168.1.1', 'protocol': 'OpenVPN', 'server_performance': <PerformanceLevel.EXCELLENT: 'excellent'>}",
    )
  })

  it("keep break_vpn's degraded default VPN for every later connection (process-wide quirk, recorded in the world)", () => {
    expect(s.get(RUNTIME_KEY)).toBeUndefined()
    s.helper("user", "break_vpn")
    expect(s.user("run_speed_test").output).toBe(
      "Speed Test Result: 22.00 Mbps (Fair). Connection is okay for web browsing and some standard definition streaming.",
    )
    s.user("disconnect_vpn")
    s.user("connect_vpn")
    expect(s.user("check_vpn_status").output).toContain("<PerformanceLevel.POOR: 'poor'>")
    expect(s.get(RUNTIME_KEY)).toEqual({
      default_vpn_details: { server_address: "192.168.1.1", protocol: "OpenVPN", server_performance: "poor" },
      device_vpn_is_default: true,
    })
    // The VPN details live in the user DB exactly as the reference dumps them.
    expect(s.get("user", "device", "vpn_details")).toEqual({ server_address: "192.168.1.1", protocol: "OpenVPN", server_performance: "poor" })
  })

  it("answer invalid requests with text (error=false) or CPython errors, as the reference does", () => {
    const mode = s.user("set_network_mode_preference", { mode: "5g" })
    expect(mode).toMatchObject({ error: false })
    expect(mode.output).toMatch(
      /^Failed to set network mode: '5g' is not a valid option\. Please use one of: 4g_5g_preferred, 4g_only, 3g_only, 2g_only\nStatus Bar: /,
    )
    expect(s.user("grant_app_permission", { app_name: "messaging", permission: "CAMERA" })).toMatchObject({
      error: false,
      output: expect.stringMatching(
        /^Error\. Permission 'camera' not tracked for app 'messaging', available permissions: \['sms', 'storage', 'phone', 'network'\]\nStatus Bar: /,
      ),
    })
    expect(s.user("grant_app_permission", { app_name: "maps", permission: "sms" }).output).toMatch(
      /^Error\. App 'maps' not found\. Cannot grant permission\.\n/,
    )
    expect(s.user("check_app_status", { app_name: ["messaging"] }).output).toBe("Error: unhashable type: 'list'")
    // A non-string mode is stored as given; reading `.value` then fails, and keeps failing.
    expect(s.user("set_network_mode_preference", { mode: 3 }).output).toBe("Error: 'int' object has no attribute 'value'")
    expect(s.user("check_network_mode_preference").output).toBe("Error: 'int' object has no attribute 'value'")
  })

  it("validate APN settings like pydantic and apply a pending APN reset only at reboot", () => {
    const bad = s.user("set_apn_settings", { apn_settings: { apn_name: "foo", mms_port: float(1.5), extra: 1 } })
    expect(bad.output).toBe(
      [
        "Error: 3 validation errors for APNSettings",
        "apn_name",
        "  Input should be 'internet' or 'broken' [type=enum, input_value='foo', input_type=str]",
        "    For further information visit https://errors.pydantic.dev/2.11/v/enum",
        "mms_port",
        "  Input should be a valid integer, got a number with a fractional part [type=int_from_float, input_value=1.5, input_type=float]",
        "    For further information visit https://errors.pydantic.dev/2.11/v/int_from_float",
        "extra",
        "  Extra inputs are not permitted [type=extra_forbidden, input_value=1, input_type=int]",
        "    For further information visit https://errors.pydantic.dev/2.11/v/extra_forbidden",
      ].join("\n"),
    )
    expect(s.user("set_apn_settings", { apn_settings: { apn_name: "broken", mms_port: "8080" } }).output).toBe(
      "APN settings set to: broken\nStatus Bar: \u{1F4F5} No Signal | \u{1F4F5} Data Disabled | \u{1F50B} 80%",
    )
    expect(s.get("user", "device", "active_apn_settings")).toEqual({
      apn_name: "broken",
      reset_at_reboot: false,
      mms_apn: "mms",
      mmsc_url: "http://mms.carrier.com/mms/wapenc",
      mms_proxy: null,
      mms_port: 8080,
    })
    expect(s.user("reset_apn_settings").output).toMatch(/^APN settings will reset at reboot\.\nStatus Bar: \u{1F4F5} No Signal/u)
    expect(s.user("reboot_device").output).toMatch(
      /^Resetting APN settings\.\.\.\nRestarting network services\.\.\.\nStatus Bar: \u{1F4F6}\u2074 Excellent \| 5G/u,
    )
    expect(s.user("check_apn_settings").output).toBe(
      "Current APN Name: internet\nMMSC URL (for picture messages): http://mms.carrier.com/mms/wapenc\n(These are technical settings, usually best left unchanged.)",
    )
  })

  it("simulate airplane mode, Wi-Fi, data saver and MMS", () => {
    expect(s.user("toggle_airplane_mode").output).toBe("Airplane Mode is now ON.\nStatus Bar: \u2708\uFE0F Airplane Mode | \u{1F50B} 80%")
    expect(s.user("toggle_wifi").output).toBe("Cannot change Wi-Fi settings while Airplane Mode is ON.\nStatus Bar: \u2708\uFE0F Airplane Mode | \u{1F50B} 80%")
    expect(s.user("run_speed_test").output).toBe("Speed test failed: No Connection.")
    expect(s.user("can_send_mms").output).toBe("Your messaging app cannot send MMS messages.")
    s.user("toggle_airplane_mode")
    expect(s.user("can_send_mms").output).toBe("Your messaging app can send MMS messages.")
    expect(s.user("toggle_data_saver_mode").output).toBe(
      "Data Saver Mode is now ON.\nStatus Bar: \u{1F4F6}\u2074 Excellent | 5G | \u{1F4F1} Data Enabled | \u{1F53D} Data Saver | \u{1F50B} 80%",
    )
    expect(s.user("run_speed_test").output).toBe("Speed Test Result: 55.00 Mbps (Good). Connection is good for most activities, including HD streaming.")
    expect(s.user("toggle_wifi").output).toMatch(/^Wi-Fi is now ON\.\n/)
    expect(s.user("check_wifi_status").output).toBe("Wi-Fi is ON but not connected to any network.")
    expect(s.user("check_app_status", { app_name: "browser" }).output).toBe("Status for App: browser\n - Permissions Granted:\n   - storage\n   - network")
    expect(s.user("check_installed_apps").output).toBe("The following apps are installed on the phone: messaging, browser")
  })

  it("raise helper-call errors like a Python method call", () => {
    expect(() => s.helper("user", "lock_sim_card")).toThrow("TelecomUserTools.lock_sim_card() missing 1 required positional argument: 'mode'")
    expect(() => s.helper("user", "assert_service_status", { expected_status: "offline" })).toThrow("'offline' is not a valid NetworkStatus")
    expect(s.helper("user", "assert_internet_speed", { expected_speed: 200 })).toBe(true)
    expect(s.helper("user", "assert_internet_speed", { expected_speed: 200, expected_desc: "good" })).toBe(false)
  })
})
