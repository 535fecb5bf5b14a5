/**
 * The telecom pydantic models (`data_model.py`, `user_data_model.py`), all `BaseModelNoExtra`:
 * field order, Python field types and defaults. They decide how `db.toml` / `user_db.toml` become
 * the reference's `model_dump(mode="json")` (which fields are floats, how dates render, which
 * defaults fill missing keys), how tool outputs render datetimes, and what `set_apn_settings`
 * accepts.
 */
import { float, type PyValue } from "@tau-sim/engine"
import { defaultsOf, defineModel, field, type FieldDef, type ModelDef, py } from "../pydantic.ts"

const { str, int, bool, date, datetime, optional, list, enum: enumOf, model: modelOf } = py
const flt = py.float
const none = () => null
/** Every telecom model forbids extra keys. */
const model = (name: string, fields: ReadonlyArray<FieldDef>): ModelDef => defineModel(name, fields, "forbid")

// --- agent side (data_model.py) ---------------------------------------------------------------

export const LINE_STATUS = ["Active", "Suspended", "Pending Activation", "Closed"] as const
export const BILL_STATUS = ["Draft", "Issued", "Awaiting Payment", "Paid", "Overdue", "Disputed"] as const

const Address = model("Address", [field("street", str), field("city", str), field("state", str), field("zip_code", str)])

const Plan = model("Plan", [
  field("plan_id", str),
  field("name", str),
  field("data_limit_gb", flt),
  field("price_per_month", flt),
  field("data_refueling_price_per_gb", flt),
])

export const Device = model("Device", [
  field("device_id", str),
  field("device_type", enumOf("DeviceType", ["phone", "router", "tablet", "watch", "other"])),
  field("model", str),
  field("imei", optional(str), none),
  field("is_esim_capable", bool),
  field("activated", bool, () => false),
  field("activation_date", optional(datetime), none),
  field("last_esim_transfer_date", optional(datetime), none),
])

const Line = model("Line", [
  field("line_id", str),
  field("phone_number", str),
  field("status", enumOf("LineStatus", LINE_STATUS), () => "Pending Activation"),
  field("plan_id", str),
  field("device_id", optional(str), none),
  field("data_used_gb", flt, () => float(0)),
  field("data_refueling_gb", flt, () => float(0)),
  field("roaming_enabled", bool, () => false),
  field("contract_end_date", optional(date), none),
  field("last_plan_change_date", optional(date), none),
  field("last_sim_replacement_date", optional(date), none),
  field("suspension_start_date", optional(date), none),
])

export const LineItem = model("LineItem", [field("description", str), field("amount", flt), field("date", date), field("item_type", str)])

export const Bill = model("Bill", [
  field("bill_id", str),
  field("customer_id", str),
  field("period_start", date),
  field("period_end", date),
  field("issue_date", date),
  field("total_due", flt),
  field("due_date", date),
  field("line_items", list(modelOf(LineItem)), () => []),
  field("status", enumOf("BillStatus", BILL_STATUS), () => "Draft"),
])

const PaymentMethod = model("PaymentMethod", [
  field("method_type", enumOf("PaymentMethodType", ["Credit Card", "Debit Card", "PayPal"])),
  field("account_number_last_4", str),
  field("expiration_date", str),
])

export const Customer = model("Customer", [
  field("customer_id", str),
  field("full_name", str),
  field("date_of_birth", str),
  field("email", str),
  field("phone_number", str),
  field("address", modelOf(Address)),
  field("account_status", enumOf("AccountStatus", ["Active", "Suspended", "Pending Verification", "Closed"]), () => "Pending Verification"),
  field("payment_methods", list(modelOf(PaymentMethod)), () => []),
  field("line_ids", list(str), () => []),
  field("bill_ids", list(str), () => []),
  // The reference's default is the *date* 2025-01-01 (pydantic does not validate defaults).
  field("created_at", datetime, () => "2025-01-01"),
  field("last_extension_date", optional(date), none),
  field("goodwill_credit_used_this_year", flt, () => float(0)),
])

export const TelecomDB = model("TelecomDB", [
  field("plans", list(modelOf(Plan)), () => []),
  field("customers", list(modelOf(Customer)), () => []),
  field("lines", list(modelOf(Line)), () => []),
  field("bills", list(modelOf(Bill)), () => []),
  field("devices", list(modelOf(Device)), () => []),
])

// --- user side (user_data_model.py) -----------------------------------------------------------

export const SIM_STATUS = ["active", "missing", "locked_pin", "locked_puk"] as const
export const NETWORK_TECHNOLOGY = ["none", "2G", "3G", "4G", "5G"] as const
export const NETWORK_MODE_PREFERENCE = ["4g_5g_preferred", "4g_only", "3g_only", "2g_only"] as const
export const SIGNAL_STRENGTH = ["none", "poor", "fair", "good", "excellent"] as const
export const PERFORMANCE_LEVEL = ["unknown", "poor", "fair", "good", "excellent"] as const
export const NETWORK_STATUS = ["connected", "searching", "no_service", "emergency_only"] as const
export const APN_NAMES = ["internet", "broken"] as const

const signalStrength = enumOf("SignalStrength", SIGNAL_STRENGTH)
const networkTechnology = enumOf("NetworkTechnology", NETWORK_TECHNOLOGY)

export const APNSettings = model("APNSettings", [
  field("apn_name", enumOf("APNNames", APN_NAMES), () => "internet"),
  field("reset_at_reboot", bool, () => false),
  field("mms_apn", optional(str), () => "mms"),
  field("mmsc_url", optional(str), () => "http://mms.carrier.com/mms/wapenc"),
  field("mms_proxy", optional(str), none),
  field("mms_port", optional(int), none),
])

export const VpnDetails = model("VpnDetails", [
  field("server_address", optional(str), none),
  field("protocol", optional(str), none),
  field("server_performance", enumOf("PerformanceLevel", PERFORMANCE_LEVEL), () => "unknown"),
])

const AppPermissions = model("AppPermissions", [
  field("sms", bool, () => false),
  field("storage", bool, () => false),
  field("phone", bool, () => false),
  field("network", bool, () => false),
])

const permissions = (granted: Partial<Record<"sms" | "storage" | "phone" | "network", boolean>>): PyValue => ({
  sms: granted.sms ?? false,
  storage: granted.storage ?? false,
  phone: granted.phone ?? false,
  network: granted.network ?? false,
})

const AppStatus = model("AppStatus", [field("app_name", str), field("permissions", modelOf(AppPermissions), () => permissions({}))])

const MockPhoneAttributes = model("MockPhoneAttributes", [
  field("sim_card_status", enumOf("SimStatus", SIM_STATUS), () => "active"),
  field("sim_card_missing", bool, () => false),
  field("airplane_mode", bool, () => false),
  field("network_signal_strength", signalStrength, () => "good"),
  field("network_technology_connected", networkTechnology, () => "5G"),
  field("network_connection_status", enumOf("NetworkStatus", NETWORK_STATUS), () => "connected"),
  field("battery_level", int, () => 80),
  field("data_enabled", bool, () => true),
  field("roaming_enabled", bool, () => false),
  field("network_mode_preference", enumOf("NetworkModePreference", NETWORK_MODE_PREFERENCE), () => "4g_5g_preferred"),
  field("active_apn_settings", modelOf(APNSettings), () => defaultsOf(APNSettings)),
  field("wifi_enabled", bool, () => false),
  field("wifi_connected", bool, () => false),
  field("wifi_ssid", optional(str), none),
  field("wifi_signal_strength", signalStrength, () => "none"),
  field("wifi_calling_enabled", bool, () => false),
  field("wifi_calling_mms_over_wifi", bool, () => false),
  field("data_saver_mode", bool, () => false),
  field("vpn_enabled_setting", bool, () => false),
  field("vpn_connected", bool, () => false),
  field("vpn_details", optional(modelOf(VpnDetails)), none),
  field("app_statuses", py.dict(modelOf(AppStatus)), () => ({
    messaging: { app_name: "messaging", permissions: permissions({ sms: true, storage: true, phone: true }) },
    browser: { app_name: "browser", permissions: permissions({ network: true, storage: true }) },
  })),
])

const PaymentRequest = model("PaymentRequest", [field("bill_id", str), field("amount_due", flt), field("paid", bool, () => false)])

const UserSurroundings = model("UserSurroundings", [
  field("name", optional(str), none),
  field("phone_number", optional(str), none),
  field("is_abroad", bool, () => false),
  field("roaming_allowed", bool, () => false),
  field("signal_strength", py.dict(signalStrength, networkTechnology), () => ({
    "2G": "poor",
    "3G": "fair",
    "4G": "good",
    "5G": "excellent",
  })),
  field("mobile_data_usage_exceeded", bool, () => false),
  field("line_active", bool, () => true),
  field("payment_request", optional(modelOf(PaymentRequest)), none),
])

export const TelecomUserDB = model("TelecomUserDB", [
  field("device", modelOf(MockPhoneAttributes), () => defaultsOf(MockPhoneAttributes)),
  field("surroundings", modelOf(UserSurroundings), () => defaultsOf(UserSurroundings)),
])
