/**
 * The atomic telecom issues ("subtasks") and the three task intents built from them (the reference's
 * `service_issues.py`, `mobile_data_issues.py`, `mms_issues.py`; semantics §4.4.6).
 *
 * Each subtask breaks the scenario with initialisation calls (with embedded sanity assertions that
 * run but are not stored) and names the gold tool calls that fix it; `null` marks an issue no tool
 * can fix. Arguments that depend on the database (customer, line, data limit) are read from the
 * scenario environment at the moment the reference reads them.
 */
import { float, type PyValue } from "@tau-sim/engine"
import { num } from "@tau-sim/engine"
import { MMS_ISSUE_TEXTS, MOBILE_DATA_ISSUE_TEXTS, type IntentTexts, SERVICE_ISSUE_TEXTS } from "./texts.ts"
import type { Subtask as SdkSubtask, SubtaskGroup } from "@tau-sim/engine/sdk"
import { assertion, call, type EnvCall, fix, type FixCall, type ScenarioEnv, TaskGenerationError } from "./scenario.ts"

export type InitStep = (env: ScenarioEnv) => EnvCall[]
/** A telecom issue: the SDK's subtask over the telecom scenario (`solution: null` = no tool can fix it). */
export type Subtask = SdkSubtask<ScenarioEnv>

export const OVERDUE_BILL_ID = "B1234321"

const ids = (env: ScenarioEnv) => ({ customer_id: env.customer.customer_id, line_id: env.line.line_id })

// --- service issues ---------------------------------------------------------------------------

const noService = (message: string | null) => assertion("user", "assert_service_status", { expected_status: "no_service" }, message)

const airplaneModeOn: Subtask = {
  name: "airplane_mode_on",
  description: "Airplane mode is on.",
  init: [
    () => [
      call("user", "turn_airplane_mode_on"),
      assertion("user", "assert_airplane_mode_status", { expected_status: true }),
      noService("Airplane mode is on but service is not broken"),
    ],
  ],
  solution: [() => [fix("user", "toggle_airplane_mode")]],
}

const unseatSimCard: Subtask = {
  name: "unseat_sim_card",
  description: "SIM card is unseated.",
  init: [() => [call("user", "unseat_sim_card"), noService("SIM card is unseated but service is not broken")]],
  solution: [() => [fix("user", "reseat_sim_card")]],
}

const lockSimCardPin: Subtask = {
  name: "lock_sim_card_pin",
  description: "SIM card is locked with a PIN",
  init: [() => [call("user", "lock_sim_card", { mode: "pin" }), noService("SIM card is locked with pin but service is not broken")]],
  solution: null,
}

const resetApn = () => [fix("user", "reset_apn_settings"), fix("user", "reboot_device")]

const breakApnSettings: Subtask = {
  name: "break_apn_settings",
  description: "APN settings are broken",
  init: [() => [call("user", "break_apn_settings"), noService("APN settings are broken but service is not broken")]],
  solution: [resetApn],
}

const suspendForOverdueBill =
  (contractEnded: boolean): InitStep =>
  (env) => {
    const { customer_id, line_id } = ids(env)
    return [
      call("assistant", "suspend_line_for_overdue_bill", { customer_id, line_id, new_bill_id: OVERDUE_BILL_ID, contract_ended: contractEnded }),
      call("user", "simulate_network_search"),
      noService("User is suspended for an overdue bill but service is not broken"),
      assertion("assistant", "assert_overdue_bill_exists", { customer_id, overdue_bill_id: OVERDUE_BILL_ID }, "Overdue bill does not exist"),
      assertion("assistant", "assert_line_status", { customer_id, line_id, expected_status: "Suspended" }, "Line is not suspended"),
    ]
  }

/** Pay the customer's (first) overdue bill, resume the line, reboot. */
const fixOverdueBillSuspension = (env: ScenarioEnv): FixCall[] => {
  const { customer_id, line_id } = ids(env)
  const billIds = (env.customer.bill_ids ?? []) as PyValue[]
  const overdue = billIds.find((id) => env.bills.find((b) => b.bill_id === id)?.status === "Overdue")
  if (overdue === undefined) throw new TaskGenerationError({ message: "No overdue bill found" })
  return [
    fix("assistant", "send_payment_request", { customer_id, bill_id: overdue }),
    fix("user", "make_payment"),
    fix("assistant", "resume_line", { customer_id, line_id }),
    fix("user", "reboot_device"),
  ]
}

const overdueBillSuspension: Subtask = {
  name: "overdue_bill_suspension",
  description: "Line is suspended for an overdue bill",
  init: [suspendForOverdueBill(false)],
  solution: [fixOverdueBillSuspension],
}

const contractEndSuspension: Subtask = {
  name: "contract_end_suspension",
  description: "Line is suspended for an overdue bill and a contract end",
  init: [suspendForOverdueBill(true)],
  solution: null,
}

// --- mobile data issues -----------------------------------------------------------------------

const setAbroad: InitStep = () => [call("user", "set_user_location", { abroad: true })]
const roamingSwitch =
  (on: boolean): InitStep =>
  () => [call("user", on ? "turn_roaming_on" : "turn_roaming_off"), assertion("user", "assert_mobile_roaming_status", { expected_status: on })]
const allowRoaming: InitStep = (env) => [call("assistant", "enable_roaming", ids(env))]
const disallowRoaming: InitStep = (env) => [
  call("assistant", "disable_roaming", ids(env)),
  call("user", "simulate_network_search"),
  assertion("user", "assert_internet_speed", { expected_speed: 0, expected_desc: "No Connection" }),
]
const fixRoamingSwitch = () => [fix("user", "toggle_roaming")]
const fixDisallowedRoaming = (env: ScenarioEnv) => [fix("assistant", "enable_roaming", ids(env))]

const userAbroadRoamingEnabledOff: Subtask = {
  name: "user_abroad_roaming_enabled_off",
  description: "User is abroad and roaming is off",
  init: [setAbroad, roamingSwitch(false), allowRoaming],
  solution: [fixRoamingSwitch],
}

const userAbroadRoamingDisabledOn: Subtask = {
  name: "user_abroad_roaming_disabled_on",
  description: "User is abroad and roaming is off",
  init: [setAbroad, roamingSwitch(true), disallowRoaming],
  solution: [fixDisallowedRoaming],
}

const userAbroadRoamingDisabledOff: Subtask = {
  name: "user_abroad_roaming_disabled_off",
  description: "User is abroad and roaming is off",
  init: [setAbroad, roamingSwitch(false), disallowRoaming],
  solution: [fixDisallowedRoaming, fixRoamingSwitch],
}

const dataModeOff: Subtask = {
  name: "data_mode_off",
  description: "Data mode is off",
  init: [() => [call("user", "turn_data_off"), assertion("user", "assert_mobile_data_status", { expected_status: false })]],
  solution: [() => [fix("user", "toggle_data")]],
}

const dataSaverModeOn: Subtask = {
  name: "data_saver_mode_on",
  description: "Data saver mode is on",
  init: [() => [call("user", "turn_data_saver_mode_on"), assertion("user", "assert_mobile_data_saver_mode_status", { expected_status: true })]],
  solution: [() => [fix("user", "toggle_data_saver_mode")]],
}

const badNetworkPreference: Subtask = {
  name: "bad_network_preference",
  description: "Bad network preference",
  init: [() => [call("user", "set_network_mode_preference", { mode: "2g_only" })]],
  solution: [() => [fix("user", "set_network_mode_preference", { mode: "4g_5g_preferred" })]],
}

const badVpn: Subtask = {
  name: "bad_vpn",
  description: "Bad vpn",
  init: [() => [call("user", "break_vpn"), assertion("user", "assert_internet_not_excellent", {})]],
  solution: [() => [fix("user", "disconnect_vpn")]],
}

const usageExceeded = assertion("user", "assert_mobile_data_usage_exceeded", { expected_status: true })
const refuel = (env: ScenarioEnv) => ({ ...ids(env), gb_amount: float(2.0) })

const dataUsageExceeded: Subtask = {
  name: "data_usage_exceeded",
  description: "Data usage exceeded",
  init: [
    (env) => [
      call("assistant", "set_data_usage", {
        ...ids(env),
        data_used_gb: float(num(env.plan.data_limit_gb) + num(env.line.data_refueling_gb) + 0.1),
      }),
      usageExceeded,
    ],
  ],
  solution: [(env) => [fix("assistant", "refuel_data", refuel(env))]],
  // Read before any fix runs: the refuelled amount the fix must produce.
  assertions: [
    (env) => [assertion("assistant", "assert_data_refueling_amount", { ...ids(env), expected_amount: float(num(env.line.data_refueling_gb) + 2.0) })],
  ],
}

const dataUsageExceededNoRefuel: Subtask = {
  name: "data_usage_exceeded_no_refuel",
  description: "Data usage exceeded",
  init: [
    (env) => [
      call("assistant", "refuel_data", refuel(env)),
      call("assistant", "set_data_usage", { ...ids(env), data_used_gb: float(num(env.plan.data_limit_gb) + 2.1) }),
      usageExceeded,
    ],
  ],
  solution: null,
}

// --- MMS issues -------------------------------------------------------------------------------

const removePermission = (permission: string) => call("user", "remove_app_permission", { app_name: "messaging", permission })
const grantPermission = (permission: string) => fix("user", "grant_app_permission", { app_name: "messaging", permission })

const badWifiCalling: Subtask = {
  name: "bad_wifi_calling",
  description: "Bad wifi calling",
  // MMS over Wi-Fi must be on too, or MMS still works over mobile data.
  init: [() => [call("user", "set_wifi_calling", { enabled: true, mms_over_wifi: true })]],
  solution: [() => [fix("user", "toggle_wifi_calling")]],
}

const breakApnMmsSetting: Subtask = {
  name: "break_apn_mms_setting",
  description: "Break apn mms setting",
  init: [() => [call("user", "break_apn_mms_setting")]],
  solution: [resetApn],
}

const breakAppSmsPermission: Subtask = {
  name: "break_app_sms_permission",
  description: "Break app sms permission",
  init: [() => [removePermission("sms")]],
  solution: [() => [grantPermission("sms")]],
}

const breakAppStoragePermission: Subtask = {
  name: "break_app_storage_permission",
  description: "Break app storage permission",
  init: [() => [removePermission("storage")]],
  solution: [() => [grantPermission("storage")]],
}

const breakAppBothPermissions: Subtask = {
  name: "break_app_both_permissions",
  description: "Break app both permissions",
  init: [() => [removePermission("sms"), removePermission("storage")]],
  solution: [() => [grantPermission("sms"), grantPermission("storage")]],
}

// --- intents ----------------------------------------------------------------------------------

/** A selection set: a composition takes at most one subtask from it (a group of the SDK's). */
export type SelectionSet = SubtaskGroup<ScenarioEnv>
const set = (name: string, subtasks: ReadonlyArray<Subtask>): SelectionSet => ({ name, subtasks })

export interface Intent {
  readonly name: "service_issue" | "mobile_data_issue" | "mms_issue"
  readonly texts: IntentTexts
  readonly selectionSets: ReadonlyArray<SelectionSet>
  /** Indices of the sets of which at least one must be used (the reference's task validator). */
  readonly requiredSets: ReadonlyArray<number>
  /** The user whose phone the scenario is about (`set_surrounding`). */
  readonly user: { readonly name: string; readonly phone_number: string }
  readonly assertions: (expectedSuccess: boolean) => EnvCall[]
}

const JOHN_SMITH = { name: "John Smith", phone_number: "555-123-2002" }

const airplaneModeIssues = set("airplane_mode", [airplaneModeOn])
const unseatSimCardIssues = set("sim_card", [unseatSimCard])
const roamingIssues = set("roaming", [userAbroadRoamingEnabledOff, userAbroadRoamingDisabledOn, userAbroadRoamingDisabledOff])
const dataModeIssues = set("data_mode", [dataModeOff])
// The released `full` split predates `data_usage_exceeded_no_refuel`; it is accepted all the same.
const dataUsageExceededIssues = set("data_usage", [dataUsageExceeded, dataUsageExceededNoRefuel])
const networkPreferenceIssues = set("network_preference", [badNetworkPreference])

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i)

export const SERVICE_ISSUE: Intent = {
  name: "service_issue",
  texts: SERVICE_ISSUE_TEXTS,
  selectionSets: [
    airplaneModeIssues,
    unseatSimCardIssues,
    set("sim_pin", [lockSimCardPin]),
    set("apn_settings", [breakApnSettings]),
    set("line_suspension", [overdueBillSuspension, contractEndSuspension]),
  ],
  requiredSets: range(0, 5),
  user: JOHN_SMITH,
  assertions: (success) =>
    success
      ? [
          assertion("user", "assert_service_status", { expected_status: "connected" }, "Service status is not as expected"),
          assertion("assistant", "assert_no_overdue_bill", { overdue_bill_id: OVERDUE_BILL_ID }, "Overdue bill is not as expected"),
        ]
      : [assertion("user", "assert_service_status", { expected_status: "no_service" })],
}

export const MOBILE_DATA_ISSUE: Intent = {
  name: "mobile_data_issue",
  texts: MOBILE_DATA_ISSUE_TEXTS,
  selectionSets: [
    airplaneModeIssues,
    roamingIssues,
    dataModeIssues,
    set("data_saver", [dataSaverModeOn]),
    networkPreferenceIssues,
    set("vpn", [badVpn]),
    dataUsageExceededIssues,
  ],
  requiredSets: range(1, 7),
  user: JOHN_SMITH,
  assertions: (success) => [
    assertion("user", "assert_mobile_data_status", { expected_status: success }),
    assertion("user", "assert_internet_speed", success ? { expected_speed: 200, expected_desc: "excellent" } : { expected_speed: 0, expected_desc: null }),
  ],
}

export const MMS_ISSUE: Intent = {
  name: "mms_issue",
  texts: MMS_ISSUE_TEXTS,
  selectionSets: [
    airplaneModeIssues,
    unseatSimCardIssues,
    dataModeIssues,
    dataUsageExceededIssues,
    roamingIssues,
    networkPreferenceIssues,
    set("wifi_calling", [badWifiCalling]),
    set("apn_mms", [breakApnMmsSetting]),
    set("app_permissions", [breakAppSmsPermission, breakAppStoragePermission, breakAppBothPermissions]),
  ],
  requiredSets: range(5, 9),
  user: JOHN_SMITH,
  assertions: (success) => [assertion("user", "assert_can_send_mms", { expected_status: success })],
}

export const INTENTS: Readonly<Record<Intent["name"], Intent>> = {
  service_issue: SERVICE_ISSUE,
  mobile_data_issue: MOBILE_DATA_ISSUE,
  mms_issue: MMS_ISSUE,
}
