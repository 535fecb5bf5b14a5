/**
 * Loading the telecom databases and policies: the reference's JSON dump shape (field order, Python
 * floats, dates, defaults) and `DataFileError`s that say where a broken file is broken.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { float, isFloat, type PyValue } from "@tau-sim/engine"
import { describe, expect, it } from "vitest"
import { DataFileError } from "../../src/tau2/errors.ts"
import { telecomModule } from "../../src/tau2/telecom/index.ts"
import { needsData } from "../../testing/index.ts"
import { TELECOM_DIR } from "../conformance/telecom-domain.ts"

const data = needsData("tau2")

type Row = Record<string, PyValue>
const { agent, user, files } = data.ifPresent(() => telecomModule.loadDatabases(TELECOM_DIR), { agent: {}, user: {}, files: [] } as never)
const table = (name: string) => (agent as Row)[name] as Row[]

data.describe("telecom databases", () => {
  it("load db.toml as TelecomDB's JSON dump: model field order, floats by field type, ISO dates and datetimes, defaults", () => {
    expect(Object.keys(agent as Row)).toEqual(["plans", "customers", "lines", "bills", "devices"])
    expect(table("plans")[0]).toEqual({
      plan_id: "P1001",
      name: "Basic Plan",
      data_limit_gb: float(5),
      price_per_month: float(40),
      data_refueling_price_per_gb: float(5),
    })
    expect(isFloat(table("plans")[0].data_limit_gb)).toBe(true)
    expect(Object.keys(table("lines")[0])).toEqual([
      "line_id",
      "phone_number",
      "status",
      "plan_id",
      "device_id",
      "data_used_gb",
      "data_refueling_gb",
      "roaming_enabled",
      "contract_end_date",
      "last_plan_change_date",
      "last_sim_replacement_date",
      "suspension_start_date",
    ])
    expect(table("lines")[0]).toMatchObject({
      data_refueling_gb: float(0),
      last_sim_replacement_date: null,
      suspension_start_date: null,
      contract_end_date: "2026-12-31",
    })
    const customer = table("customers")[0]
    expect(Object.keys(customer).slice(-3)).toEqual(["created_at", "last_extension_date", "goodwill_credit_used_this_year"])
    expect(customer).toMatchObject({ created_at: "2025-01-15T10:30:00", last_extension_date: null, goodwill_credit_used_this_year: float(25) })
    expect(table("devices")[0]).toMatchObject({ activation_date: "2025-01-20T14:30:00", last_esim_transfer_date: null })
    expect(table("bills")[2]).toMatchObject({ bill_id: "B1003", total_due: float(0), line_items: [], status: "Draft" })
    expect(files.map((f) => path.basename(f))).toEqual(["db.toml", "user_db.toml"])
  })

  it("load user_db.toml with the device and surroundings defaults the file leaves out", () => {
    const { device, surroundings } = user as { device: Row; surroundings: Row }
    expect(device.active_apn_settings).toEqual({
      apn_name: "internet",
      reset_at_reboot: false,
      mms_apn: "mms",
      mmsc_url: "http://mms.carrier.com/mms/wapenc",
      mms_proxy: null,
      mms_port: null,
    })
    expect(device).toMatchObject({ battery_level: 80, wifi_ssid: null, vpn_details: null, network_mode_preference: "4g_5g_preferred" })
    expect(Object.keys(device).indexOf("active_apn_settings")).toBe(10)
    expect(surroundings).toEqual({
      name: null,
      phone_number: null,
      is_abroad: false,
      roaming_allowed: false,
      signal_strength: { "2G": "poor", "3G": "fair", "4G": "good", "5G": "excellent" },
      mobile_data_usage_exceeded: false,
      line_active: true,
      payment_request: null,
    })
  })

  describe("report broken files as DataFileError (file, place, expectation)", () => {
    const broken = (edit: (dbToml: string) => string, file = "db.toml") => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "telecom-"))
      for (const f of ["db.toml", "user_db.toml"]) {
        const text = fs.readFileSync(path.join(TELECOM_DIR, f), "utf8")
        fs.writeFileSync(path.join(dir, f), f === file ? edit(text) : text)
      }
      try {
        telecomModule.loadDatabases(dir)
      } catch (e) {
        return e as DataFileError
      } finally {
        fs.rmSync(dir, { recursive: true })
      }
      throw new Error("expected a DataFileError")
    }

    it("an extra key (models forbid them)", () => {
      const e = broken((t) => t.replace('line_id = "L1001"', 'line_id = "L1001"\ncolour = "red"'))
      expect(e).toBeInstanceOf(DataFileError)
      expect(e.file).toMatch(/db\.toml$/)
      expect(e.at).toBe("lines[0].colour")
      expect(e.message).toMatch(/unexpected key "colour"/)
    })

    it("a value of the wrong type, an unknown enum member, a bad date, a missing field, bad TOML", () => {
      expect(broken((t) => t.replace("data_limit_gb = 5.0", 'data_limit_gb = "five"'))).toMatchObject({ at: "plans[0].data_limit_gb", expected: "a number" })
      expect(broken((t) => t.replace('status = "Suspended"', 'status = "Paused"'))).toMatchObject({ at: "lines[2].status" })
      expect(broken((t) => t.replace('contract_end_date = "2026-12-31"', 'contract_end_date = "2026-13-01"')).expected).toBe("a date YYYY-MM-DD")
      expect(broken((t) => t.replace('model = "Smartphone X"\n', "")).at).toBe("devices[0].model")
      expect(broken((t) => `${t}\n[[plans]\n`).expected).toBe("valid TOML")
      expect(broken((t) => t.replace("battery_level = 80", "battery_level = 80.5"), "user_db.toml")).toMatchObject({
        at: "device.battery_level",
        expected: "an integer",
      })
    })
  })
})

data.describe("telecom policies", () => {
  const policies = data.ifPresent(() => telecomModule.loadPolicies(TELECOM_DIR))
  const read = (f: string) => fs.readFileSync(path.join(TELECOM_DIR, f), "utf8")
  const compose = (main: string, tech: string) => `<main_policy>\n${read(main)}\n</main_policy>\n<tech_support_policy>\n${read(tech)}\n</tech_support_policy>`

  it("compose main and tech-support policies per variant, like get_environment", () => {
    expect(Object.keys(policies)).toEqual(["default", "solo", "workflow", "workflow_solo"])
    expect(policies.default).toBe(compose("main_policy.md", "tech_support_manual.md"))
    expect(policies.solo).toBe(compose("main_policy_solo.md", "tech_support_manual.md"))
    expect(policies.workflow).toBe(compose("main_policy.md", "tech_support_workflow.md"))
    expect(policies.workflow_solo).toBe(compose("main_policy_solo.md", "tech_support_workflow_solo.md"))
    expect(telecomModule.supportsSolo).toBe(true)
  })
})
