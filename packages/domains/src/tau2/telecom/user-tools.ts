/**
 * The user toolkit (`TelecomUserTools`, semantics §4.4.3): the 30 phone tools in the reference's
 * definition order, the "break" helpers used by task initialisation and the user-side assertions
 * (§4.4.4). Outputs are the reference's exact strings; most write tools end with the status bar.
 */
import { Schema } from "effect"
import {
  type Draft,
  float,
  formatFixed,
  type Helper,
  type PyValue,
  pyRepr,
  ToolError,
  type ToolDef,
  type Toolkit,
  type ToolParam,
  truthy,
  typeName,
} from "@tau-sim/engine"
import {
  canSendMms,
  connectVpn,
  disconnectVpn,
  mobileDataWorking,
  rebootDevice,
  runSpeedTest,
  simStatus,
  simulateNetworkSearch,
  statusBar,
  toggleAirplaneMode,
  toggleData,
  toggleDataSaverMode,
  toggleRoaming,
  toggleWifi,
  toggleWifiCalling,
  type UserDb,
  userDb,
} from "./device.ts"
import { bindHelperArguments, type HelperParam } from "./helper-binding.ts"
import { build } from "../pydantic.ts"
import { APNSettings, NETWORK_MODE_PREFERENCE, NETWORK_STATUS } from "./models.ts"
import { attr, eq, isObj, model, type Obj, pyCompare, requireStr, s } from "./python.ts"
import { type Runtime, withRuntime } from "./runtime.ts"
import { withWorkingCopy } from "./working-copy.ts"

type Run = (u: UserDb, args: Readonly<Record<string, PyValue>>, runtime: Runtime) => PyValue

/** Runs reference-style code on a working copy of the user DB and the runtime state. */
const onDevice = (db: Draft, run: (u: UserDb, runtime: Runtime) => PyValue): PyValue =>
  withRuntime(db, (runtime) => withWorkingCopy(db, (copy) => run(userDb(copy), runtime)))

const tool = (name: string, kind: ToolDef["kind"], description: string, params: ReadonlyArray<ToolParam>, run: Run): ToolDef => ({
  name,
  kind,
  description,
  params,
  run: (db, args) => onDevice(db, (u, runtime) => run(u, args, runtime)),
})

const helper =
  (name: string, params: ReadonlyArray<HelperParam>, run: Run): Helper =>
  (db, args) => {
    const bound = bindHelperArguments("TelecomUserTools", name, params, args)
    return onDevice(db, (u, runtime) => run(u, bound, runtime))
  }

const param = (name: string, schema: Schema.Top, description?: string): ToolParam =>
  description === undefined ? { name, schema } : { name, schema, description }

const withStatusBar = (u: UserDb, text: string): string => `${text}\nStatus Bar: ${statusBar(u)}`
const onOff = (on: boolean): string => (on ? "ON" : "OFF")
const yesNo = (v: PyValue | undefined): string => (truthy(v) ? "Yes" : "No")

/** Python `.value` of an enum member stored in the DB (its string); anything else has no `.value`. */
const enumValue = (v: PyValue | undefined): string => {
  if (typeof v === "string") return v
  throw new ToolError(`'${typeName(v)}' object has no attribute 'value'`)
}

/** `dict.get(key)` on a `dict[str, ...]` with an argument of any type. */
const dictGet = (dict: PyValue | undefined, key: PyValue): PyValue | undefined => {
  if (Array.isArray(key) || isObj(key)) throw new ToolError(`unhashable type: '${typeName(key)}'`)
  return isObj(dict) && typeof key === "string" && Object.hasOwn(dict, key) ? dict[key] : undefined
}

/** Granted permissions of an app (`model_dump().items()` with a true value), lower-cased. */
const grantedPermissions = (permissions: PyValue): string[] =>
  isObj(permissions)
    ? Object.entries(permissions)
        .filter(([, allowed]) => truthy(allowed))
        .map(([name]) => name.replaceAll("_", " ").toLowerCase())
    : []

const PERFORMANCE_MEMBER: Readonly<Record<string, string>> = {
  unknown: "UNKNOWN",
  poor: "POOR",
  fair: "FAIR",
  good: "GOOD",
  excellent: "EXCELLENT",
}

/** `str(vpn_details.model_dump())`: a Python dict repr with the enum member's repr. */
const vpnDetailsRepr = (details: Obj): string =>
  `{${Object.entries(details)
    .map(([k, v]) => {
      const member = k === "server_performance" && typeof v === "string" && Object.hasOwn(PERFORMANCE_MEMBER, v) ? PERFORMANCE_MEMBER[v] : undefined
      return `${pyRepr(k)}: ${member ? `<PerformanceLevel.${member}: ${pyRepr(v)}>` : pyRepr(v)}`
    })
    .join(", ")}}`

// --- status and network -------------------------------------------------------------------------

const checkStatusBar = tool(
  "check_status_bar",
  "read",
  "Shows what icons are currently visible in your phone's status bar (the area at the top of the screen). Displays network signal strength, mobile data status (enabled, disabled, data saver), Wi-Fi status, and battery level.",
  [],
  (u) => `Status Bar: ${statusBar(u)}`,
)

const checkNetworkStatus = tool(
  "check_network_status",
  "read",
  "Checks your phone's connection status to cellular networks and Wi-Fi. Shows airplane mode status, signal strength, network type, whether mobile data is enabled, and whether data roaming is enabled.",
  [],
  (u) => {
    const d = u.device
    const lines = [
      `Airplane Mode: ${onOff(truthy(d.airplane_mode))}`,
      `SIM Card Status: ${enumValue(simStatus(u))}`,
      `Cellular Connection: ${enumValue(d.network_connection_status)}`,
      `Cellular Signal: ${enumValue(d.network_signal_strength)}`,
      `Cellular Network Type: ${enumValue(d.network_technology_connected)}`,
      `Mobile Data Enabled: ${yesNo(d.data_enabled)}`,
      `Data Roaming Enabled: ${yesNo(d.roaming_enabled)}`,
      `Wi-Fi Radio: ${onOff(truthy(d.wifi_enabled))}`,
      `Wi-Fi Connected: ${yesNo(d.wifi_connected)}`,
    ]
    if (truthy(d.wifi_connected)) lines.push(`Connected Wi-Fi Network: ${s(d.wifi_ssid)}`)
    return lines.join("\n")
  },
)

const checkNetworkModePreference = tool(
  "check_network_mode_preference",
  "read",
  "Shows the current network mode preference.",
  [],
  (u) => `Network Mode Preference: ${enumValue(u.device.network_mode_preference)}`,
)

/** `_set_network_mode_preference`: a string must name a mode; anything else is stored as given. */
const setModePreference = (u: UserDb, mode: PyValue): PyValue => {
  if (typeof mode === "string" && !(NETWORK_MODE_PREFERENCE as ReadonlyArray<string>).includes(mode)) return null
  u.device.network_mode_preference = mode
  simulateNetworkSearch(u)
  return mode
}

const setNetworkModePreference = tool(
  "set_network_mode_preference",
  "write",
  "Changes the type of cellular network your phone prefers to connect to (e.g., 5G, LTE/4G, 3G). Higher-speed networks (LTE/5G) provide faster data but may use more battery.",
  [param("mode", Schema.Union([Schema.Literals(NETWORK_MODE_PREFERENCE), Schema.String]))],
  (u, a) => {
    const mode = setModePreference(u, a.mode)
    if (mode === null)
      return withStatusBar(u, `Failed to set network mode: '${s(a.mode)}' is not a valid option. Please use one of: ${NETWORK_MODE_PREFERENCE.join(", ")}`)
    return withStatusBar(u, `Preferred Network Mode set to: ${enumValue(mode)}`)
  },
)

const SPEED_ADVICE: Readonly<Record<string, string>> = {
  "Very Poor": "Connection is very slow. Basic web browsing might be difficult.",
  Poor: "Connection is slow. Web browsing may be sluggish, streaming difficult.",
  Fair: "Connection is okay for web browsing and some standard definition streaming.",
  Good: "Connection is good for most activities, including HD streaming.",
  Excellent: "Connection is very fast.",
}

const runSpeedTestTool = tool(
  "run_speed_test",
  "read",
  "Measures your current internet connection speed (download speed). Provides information about connection quality and what activities it can support.",
  [],
  (u) => {
    const { speed, description } = runSpeedTest(u)
    if (speed === null) return `Speed test failed: ${description}.`
    return `Speed Test Result: ${formatFixed(speed, 2)} Mbps (${description}). ${SPEED_ADVICE[description] ?? ""}`
  },
)

const toggleAirplaneModeTool = tool(
  "toggle_airplane_mode",
  "write",
  "Toggles Airplane Mode ON or OFF. When ON, it disconnects all wireless communications including cellular, Wi-Fi, and Bluetooth.\n\nReturns the new state of airplane_mode.",
  [],
  (u, _, runtime) => withStatusBar(u, `Airplane Mode is now ${onOff(toggleAirplaneMode(u, runtime))}.`),
)

// --- SIM ----------------------------------------------------------------------------------------

const SIM_MESSAGE: Readonly<Record<string, string>> = {
  active: "Your SIM card is active and working.",
  missing: "No SIM card detected in the phone.",
  locked_pin: "The SIM card is locked with a PIN code.",
  locked_puk: "The SIM card is locked with a PUK code.",
}

const checkSimStatus = tool(
  "check_sim_status",
  "read",
  "Checks if your SIM card is working correctly and displays its current status. Shows if the SIM is active, missing, or locked with a PIN or PUK code.",
  [],
  (u) => {
    const status = simStatus(u)
    return typeof status === "string" && Object.hasOwn(SIM_MESSAGE, status) ? SIM_MESSAGE[status] : `Unknown SIM status: ${enumValue(status)}`
  },
)

const reseatSimCard = tool(
  "reseat_sim_card",
  "write",
  "Simulates removing and reinserting your SIM card. This can help resolve recognition issues.",
  [],
  (u) => {
    u.device.sim_card_missing = false
    simulateNetworkSearch(u)
    return withStatusBar(u, "SIM card re-seated successfully.")
  },
)

// --- mobile data and roaming --------------------------------------------------------------------

const toggleDataTool = tool(
  "toggle_data",
  "write",
  "Toggles your phone's mobile data connection ON or OFF. Controls whether your phone can use cellular data for internet access when Wi-Fi is unavailable.\n\nReturns the new data connection status.",
  [],
  (u) => withStatusBar(u, `Mobile Data is now ${onOff(toggleData(u))}.`),
)

const toggleRoamingTool = tool(
  "toggle_roaming",
  "write",
  "Toggles Data Roaming ON or OFF. When ON, your phone can use data networks in areas outside your carrier's coverage.\n\nReturns the new data roaming status.",
  [],
  (u) => withStatusBar(u, `Data Roaming is now ${onOff(toggleRoaming(u))}.`),
)

const checkDataRestrictionStatus = tool(
  "check_data_restriction_status",
  "read",
  "Checks if your phone has any data-limiting features active. Shows if Data Saver mode is on.",
  [],
  (u) => (truthy(u.device.data_saver_mode) ? "Data Saver mode is ON (limits data usage)." : "Data Saver mode is OFF."),
)

const toggleDataSaverModeTool = tool(
  "toggle_data_saver_mode",
  "write",
  "Toggles Data Saver mode ON or OFF. When ON, it reduces data usage, which may affect data speed.\n\nReturns the new data saver mode status.",
  [],
  (u) => withStatusBar(u, `Data Saver Mode is now ${onOff(toggleDataSaverMode(u))}.`),
)

// --- APN ----------------------------------------------------------------------------------------

const checkApnSettings = tool(
  "check_apn_settings",
  "read",
  "Checks the technical APN settings your phone uses to connect to your carrier's mobile data network. Shows current APN name and MMSC URL for picture messaging.",
  [],
  (u) => {
    const settings = u.device.active_apn_settings
    if (!isObj(settings)) throw new ToolError(`'${typeName(settings)}' object has no attribute 'model_copy'`)
    const apnName = enumValue(attr(settings, "apn_name")) || "Not Set"
    const mmsc = attr(settings, "mmsc_url")
    return `Current APN Name: ${apnName}\nMMSC URL (for picture messages): ${truthy(mmsc) ? s(mmsc) : "Not Set"}\n(These are technical settings, usually best left unchanged.)`
  },
)

const setApnSettings = tool(
  "set_apn_settings",
  "write",
  "Sets the APN settings for the phone.",
  [param("apn_settings", Schema.Record(Schema.String, Schema.Unknown))],
  (u, a) => {
    // `APNSettings(**apn_settings)`: pydantic's validation and error text.
    const settings = isObj(a.apn_settings) ? build(APNSettings, a.apn_settings) : a.apn_settings
    // `_set_apn_settings` stores the value before reading `.apn_name.value` (which may raise).
    u.device.active_apn_settings = settings
    const update = `APN settings set to: ${enumValue(attr(settings, "apn_name"))}`
    simulateNetworkSearch(u)
    return withStatusBar(u, update)
  },
)

const resetApnSettings = tool("reset_apn_settings", "write", "Resets your APN settings to the default settings.", [], (u) => {
  model(u.device, "active_apn_settings").reset_at_reboot = true
  simulateNetworkSearch(u)
  return withStatusBar(u, "APN settings will reset at reboot.")
})

// --- Wi-Fi and Wi-Fi calling --------------------------------------------------------------------

const checkWifiStatus = tool(
  "check_wifi_status",
  "read",
  "Checks your Wi-Fi connection status. Shows if Wi-Fi is turned on, which network you're connected to (if any), and the signal strength.",
  [],
  (u) => {
    const d = u.device
    if (!truthy(d.wifi_enabled)) return "Wi-Fi is turned OFF."
    if (truthy(d.wifi_connected)) return `Wi-Fi is ON and connected to '${s(d.wifi_ssid)}'. Signal strength: ${enumValue(d.wifi_signal_strength)}.`
    return "Wi-Fi is ON but not connected to any network."
  },
)

const toggleWifiTool = tool(
  "toggle_wifi",
  "write",
  "Toggles your phone's Wi-Fi radio ON or OFF. Controls whether your phone can discover and connect to wireless networks for internet access.\n\nReturns the new Wi-Fi status.",
  [],
  (u) => {
    const next = toggleWifi(u)
    if (next === null) return withStatusBar(u, "Cannot change Wi-Fi settings while Airplane Mode is ON.")
    return withStatusBar(u, `Wi-Fi is now ${onOff(next)}.`)
  },
)

const checkWifiCallingStatus = tool(
  "check_wifi_calling_status",
  "read",
  "Checks if Wi-Fi Calling is enabled on your device. This feature allows you to make and receive calls over a Wi-Fi network instead of using the cellular network.",
  [],
  (u) => `Wi-Fi Calling is currently turned ${onOff(truthy(u.device.wifi_calling_enabled))}.`,
)

const toggleWifiCallingTool = tool(
  "toggle_wifi_calling",
  "write",
  "Toggles Wi-Fi Calling ON or OFF. This feature allows you to make and receive calls over Wi-Fi instead of the cellular network, which can help in areas with weak cellular signal.\n\nReturns the new Wi-Fi Calling status.",
  [],
  (u) => withStatusBar(u, `Wi-Fi Calling is now ${onOff(toggleWifiCalling(u))}.`),
)

// --- VPN ----------------------------------------------------------------------------------------

const checkVpnStatus = tool(
  "check_vpn_status",
  "read",
  "Checks if you're using a VPN (Virtual Private Network) connection. Shows if a VPN is active, connected, and displays any available connection details.",
  [],
  (u) => {
    const d = u.device
    if (truthy(d.vpn_connected)) {
      if (isObj(d.vpn_details)) return `VPN is ON and connected. Details: ${vpnDetailsRepr(d.vpn_details)}`
      if (truthy(d.vpn_details)) throw new ToolError(`'${typeName(d.vpn_details)}' object has no attribute 'model_dump'`)
      return "VPN is ON and connected (no specific details available)."
    }
    if (truthy(d.vpn_enabled_setting)) return "VPN is turned ON in settings, but currently not connected."
    return "VPN is turned OFF."
  },
)

/** The `connect_vpn` tool's text (also run, for its effect, by `break_vpn`). */
const connectVpnText = (u: UserDb, runtime: Runtime): string => {
  const connected = connectVpn(u, runtime)
  if (connected === null) return "VPN already connected."
  return withStatusBar(u, connected ? "VPN connected successfully." : "No VPN connection to connect.")
}

const connectVpnTool = tool("connect_vpn", "write", "Connects to your VPN (Virtual Private Network).", [], (u, _, runtime) => connectVpnText(u, runtime))

const disconnectVpnTool = tool(
  "disconnect_vpn",
  "write",
  "Disconnects any active VPN (Virtual Private Network) connection. Stops routing your internet traffic through a VPN server, which might affect connection speed or access to content.",
  [],
  (u, _, runtime) => withStatusBar(u, disconnectVpn(u, runtime) ? "VPN disconnected successfully." : "No active VPN connection to disconnect."),
)

// --- apps ---------------------------------------------------------------------------------------

const appStatuses = (u: UserDb): PyValue => u.device.app_statuses

const checkInstalledApps = tool("check_installed_apps", "read", "Returns the name of all installed apps on the phone.", [], (u) => {
  const apps = appStatuses(u)
  return `The following apps are installed on the phone: ${isObj(apps) ? Object.keys(apps).join(", ") : ""}`
})

const appNameParam = param("app_name", Schema.String)

const checkAppStatus = tool(
  "check_app_status",
  "read",
  "Checks detailed information about a specific app. Shows its permissions and background data usage settings.",
  [appNameParam],
  (u, a) => {
    const app = dictGet(appStatuses(u), a.app_name)
    if (!truthy(app)) return `App '${s(a.app_name)}' not found on this phone.`
    const lines = [`Status for App: ${s(a.app_name)}`]
    const granted = grantedPermissions(attr(app, "permissions"))
    if (granted.length === 0) lines.push(" - Permissions: None granted.")
    else {
      lines.push(" - Permissions Granted:")
      for (const perm of granted) lines.push(`   - ${perm}`)
    }
    return lines.join("\n")
  },
)

const checkAppPermissions = tool(
  "check_app_permissions",
  "read",
  "Checks what permissions a specific app currently has. Shows if the app has access to features like storage, camera, location, etc.",
  [appNameParam],
  (u, a) => {
    const app = dictGet(appStatuses(u), a.app_name)
    if (!truthy(app)) return `App '${s(a.app_name)}' not found on this phone.`
    const granted = grantedPermissions(attr(app, "permissions"))
    if (granted.length === 0) return `App '${s(a.app_name)}' currently has no permissions granted.`
    return `App '${s(a.app_name)}' has permission for: ${granted.join(", ")}.`
  },
)

/** `_grant_app_permission` / `remove_app_permission`: `[success, message]`. */
const setAppPermission = (u: UserDb, appName: PyValue, permissionArg: PyValue, grant: boolean): [boolean, string] => {
  const app = dictGet(appStatuses(u), appName)
  const permission = requireStr(permissionArg, "lower").toLowerCase()
  if (!truthy(app)) return [false, `App '${s(appName)}' not found. Cannot ${grant ? "grant" : "remove"} permission.`]
  const permissions = model(app, "permissions")
  if (!Object.hasOwn(permissions, permission)) {
    const untracked = `Permission '${permission}' not tracked for app '${s(appName)}'`
    return [false, grant ? `${untracked}, available permissions: ${pyRepr(Object.keys(permissions))}` : `${untracked}.`]
  }
  permissions[permission] = grant
  return [true, `Permission '${permission}' ${grant ? "granted to" : "removed from"} app '${s(appName)}'.`]
}

const grantAppPermission = tool(
  "grant_app_permission",
  "write",
  "Gives a specific permission to an app (like access to storage, camera, or location). Required for some app functions to work properly.",
  [
    param("app_name", Schema.String, "The name of the app to grant the permission to."),
    param("permission", Schema.String, "The permission to grant, should be lowercase."),
  ],
  (u, a) => {
    const [ok, message] = setAppPermission(u, a.app_name, a.permission, true)
    return withStatusBar(u, `${ok ? "Success. " : "Error. "}${message}`)
  },
)

// --- MMS, reboot, payments ----------------------------------------------------------------------

const canSendMmsTool = tool("can_send_mms", "read", "Checks if the default messaging app can send MMS messages.", [], (u) =>
  canSendMms(u) ? "Your messaging app can send MMS messages." : "Your messaging app cannot send MMS messages.",
)

const rebootDeviceTool = tool(
  "reboot_device",
  "write",
  "Restarts your phone completely. This can help resolve many temporary software glitches by refreshing all running services and connections.",
  [],
  (u) => withStatusBar(u, rebootDevice(u)),
)

const paymentRequest = (u: UserDb): PyValue => u.surroundings.payment_request ?? null

const checkPaymentRequest = tool("check_payment_request", "read", "Checks if the agent has sent you a payment request.", [], (u) => {
  const request = paymentRequest(u)
  if (request === null) return "No payment request has been made."
  return `You have a payment request for bill ${s(attr(request, "bill_id"))} of ${s(attr(request, "amount_due"))} USD.`
})

const makePayment = tool("make_payment", "write", "Makes a payment for the bill that the agent has sent you.", [], (u) => {
  const request = paymentRequest(u)
  if (request === null) return "You do not have a payment request."
  model(u.surroundings, "payment_request").paid = true
  return `Payment of ${s(attr(request, "amount_due"))} USD has been made for bill ${s(attr(request, "bill_id"))}.`
})

// --- helpers: scenario set-up -------------------------------------------------------------------

const setUserInfo = helper("set_user_info", ["name", "phone_number"], (u, a) => {
  u.surroundings.name = a.name
  u.surroundings.phone_number = a.phone_number
  return null
})

const setUserLocation = helper("set_user_location", ["abroad"], (u, a) => {
  u.surroundings.is_abroad = a.abroad
  return null
})

/** `turn_X_on/off`: toggles, and toggles again if that went the wrong way. */
const turnTo = (name: string, target: boolean, toggle: (u: UserDb, runtime: Runtime) => boolean, message: string) =>
  helper(name, [], (u, _, runtime) => {
    if (toggle(u, runtime) !== target) toggle(u, runtime)
    return message
  })

const turnAirplaneModeOn = turnTo("turn_airplane_mode_on", true, toggleAirplaneMode, "Airplane Mode is now ON.")
const turnAirplaneModeOff = turnTo("turn_airplane_mode_off", false, toggleAirplaneMode, "Airplane Mode is now OFF.")
const turnDataOff = turnTo("turn_data_off", false, toggleData, "Data connection broken.")
const turnRoamingOn = turnTo("turn_roaming_on", true, toggleRoaming, "Data Roaming is now ON.")
const turnRoamingOff = turnTo("turn_roaming_off", false, toggleRoaming, "Data Roaming is now OFF.")
const turnDataSaverModeOn = turnTo("turn_data_saver_mode_on", true, toggleDataSaverMode, "Data Saver Mode is now ON.")
const turnDataSaverModeOff = turnTo("turn_data_saver_mode_off", false, toggleDataSaverMode, "Data Saver Mode is now OFF.")

/** `turn_data_on` sets the switch without a network search (unlike `turn_data_off`). */
const turnDataOn = helper("turn_data_on", [], (u) => {
  u.device.data_enabled = true
  return "Data connection restored."
})

/** The reference's `assert` statements inside break helpers: a failed one aborts the set-up. */
const sanity = (ok: boolean): void => {
  if (!ok) throw new ToolError("AssertionError")
}

const unseatSimCard = helper("unseat_sim_card", [], (u) => {
  u.device.sim_card_missing = true
  simulateNetworkSearch(u)
  sanity(truthy(u.device.sim_card_missing) && simStatus(u) === "missing")
  return "SIM card un-seated successfully."
})

const lockSimCard = helper("lock_sim_card", ["mode"], (u, a) => {
  if (a.mode === "pin") u.device.sim_card_status = "locked_pin"
  else if (a.mode === "puk") u.device.sim_card_status = "locked_puk"
  simulateNetworkSearch(u)
  if (a.mode === "pin") sanity(u.device.sim_card_status === "locked_pin")
  else if (a.mode === "puk") sanity(u.device.sim_card_status === "locked_puk")
  return `SIM card locked successfully in ${s(a.mode)} mode.`
})

const breakApnSettings = helper("break_apn_settings", [], (u) => {
  model(u.device, "active_apn_settings").apn_name = "broken"
  simulateNetworkSearch(u)
  sanity(u.device.network_connection_status === "no_service")
  return "APN settings broken. Please call reset_apn_settings() to fix."
})

const breakApnMmsSetting = helper("break_apn_mms_setting", [], (u) => {
  model(u.device, "active_apn_settings").mmsc_url = null
  sanity(!canSendMms(u))
  return "APN MMS setting broken. Please call reset_apn_settings() to fix."
})

const setWifiCalling = helper("set_wifi_calling", ["enabled", ["mms_over_wifi", null]], (u, a) => {
  if (!eq(u.device.wifi_calling_enabled, a.enabled)) toggleWifiCalling(u)
  let message = `Wi-Fi Calling is now ${onOff(truthy(a.enabled))}.`
  if (a.mms_over_wifi !== null) {
    u.device.wifi_calling_mms_over_wifi = a.mms_over_wifi
    message += `\nMMS over Wi-Fi is now ${onOff(truthy(a.mms_over_wifi))}.`
  }
  return message
})

/** `break_vpn`: connects (the class-level default VPN object), then degrades that object. */
const breakVpn = helper("break_vpn", [], (u, _, runtime) => {
  connectVpnText(u, runtime)
  model(u.device, "vpn_details").server_performance = "poor"
  if (runtime.device_vpn_is_default) runtime.default_vpn_details = { ...runtime.default_vpn_details, server_performance: "poor" }
  return "VPN connection broken."
})

const removeAppPermission = helper("remove_app_permission", ["app_name", "permission"], (u, a) => setAppPermission(u, a.app_name, a.permission, false))

const simulateNetworkSearchHelper = helper("simulate_network_search", [], (u) => {
  simulateNetworkSearch(u)
  return null
})

// --- helpers: assertions ------------------------------------------------------------------------

const assertAirplaneModeStatus = helper("assert_airplane_mode_status", ["expected_status"], (u, a) => eq(u.device.airplane_mode, a.expected_status))

const assertServiceStatus = helper("assert_service_status", ["expected_status"], (u, a) => {
  // `NetworkStatus(expected_status)` raises for an unknown status.
  if (typeof a.expected_status !== "string" || !(NETWORK_STATUS as ReadonlyArray<string>).includes(a.expected_status))
    throw new ToolError(`${pyRepr(a.expected_status)} is not a valid NetworkStatus`)
  return u.device.network_connection_status === a.expected_status
})

const assertMobileDataStatus = helper("assert_mobile_data_status", ["expected_status"], (u, a) => eq(mobileDataWorking(u), a.expected_status))

const assertMobileRoamingStatus = helper("assert_mobile_roaming_status", ["expected_status"], (u, a) => eq(u.device.roaming_enabled, a.expected_status))

const assertMobileDataSaverModeStatus = helper("assert_mobile_data_saver_mode_status", ["expected_status"], (u, a) =>
  eq(u.device.data_saver_mode, a.expected_status),
)

const assertInternetSpeed = helper("assert_internet_speed", ["expected_speed", ["expected_desc", null]], (u, a) => {
  const test = runSpeedTest(u)
  const speed = test.speed ?? 0.0
  const fast = pyCompare(float(speed), ">=", a.expected_speed)
  if (a.expected_desc === null) return fast
  return fast && test.description.toLowerCase() === requireStr(a.expected_desc, "lower").toLowerCase()
})

const assertInternetNotExcellent = helper("assert_internet_not_excellent", [], (u) => runSpeedTest(u).description.toLowerCase() !== "excellent")

const assertCanSendMms = helper("assert_can_send_mms", ["expected_status"], (u, a) => eq(canSendMms(u), a.expected_status))

const assertMobileDataUsageExceeded = helper("assert_mobile_data_usage_exceeded", ["expected_status"], (u, a) =>
  eq(u.surroundings.mobile_data_usage_exceeded, a.expected_status),
)

export const telecomUserToolkit: Toolkit = {
  className: "TelecomUserTools",
  tools: [
    checkStatusBar,
    checkNetworkStatus,
    checkNetworkModePreference,
    setNetworkModePreference,
    runSpeedTestTool,
    toggleAirplaneModeTool,
    checkSimStatus,
    reseatSimCard,
    toggleDataTool,
    toggleRoamingTool,
    checkDataRestrictionStatus,
    toggleDataSaverModeTool,
    checkApnSettings,
    setApnSettings,
    resetApnSettings,
    checkWifiStatus,
    toggleWifiTool,
    checkWifiCallingStatus,
    toggleWifiCallingTool,
    checkVpnStatus,
    connectVpnTool,
    disconnectVpnTool,
    checkInstalledApps,
    checkAppStatus,
    checkAppPermissions,
    grantAppPermission,
    canSendMmsTool,
    rebootDeviceTool,
    checkPaymentRequest,
    makePayment,
  ],
  helpers: {
    set_user_info: setUserInfo,
    set_user_location: setUserLocation,
    turn_airplane_mode_on: turnAirplaneModeOn,
    turn_airplane_mode_off: turnAirplaneModeOff,
    unseat_sim_card: unseatSimCard,
    lock_sim_card: lockSimCard,
    turn_data_on: turnDataOn,
    turn_data_off: turnDataOff,
    turn_roaming_on: turnRoamingOn,
    turn_roaming_off: turnRoamingOff,
    turn_data_saver_mode_on: turnDataSaverModeOn,
    turn_data_saver_mode_off: turnDataSaverModeOff,
    break_apn_settings: breakApnSettings,
    break_apn_mms_setting: breakApnMmsSetting,
    set_wifi_calling: setWifiCalling,
    break_vpn: breakVpn,
    remove_app_permission: removeAppPermission,
    simulate_network_search: simulateNetworkSearchHelper,
    assert_airplane_mode_status: assertAirplaneModeStatus,
    assert_service_status: assertServiceStatus,
    assert_mobile_data_status: assertMobileDataStatus,
    assert_mobile_roaming_status: assertMobileRoamingStatus,
    assert_mobile_data_saver_mode_status: assertMobileDataSaverModeStatus,
    assert_internet_speed: assertInternetSpeed,
    assert_internet_not_excellent: assertInternetNotExcellent,
    assert_can_send_mms: assertCanSendMms,
    assert_mobile_data_usage_exceeded: assertMobileDataUsageExceeded,
  },
}
