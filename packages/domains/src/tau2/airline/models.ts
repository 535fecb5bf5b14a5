/**
 * The airline pydantic models (`data_model.py`, semantics §4.2): the database `FlightDB` and the
 * models the tools build from their (unvalidated) arguments (`FlightInfo`, `Passenger`, `Payment`,
 * `Certificate`, `ReservationFlight`, `Reservation`). All are plain `BaseModel`s (unknown keys
 * dropped) except the no-extra `FlightDB`. Dict members keep the file's order (search results
 * follow it).
 */
import { defineModel, field, type FieldDef, optionalField, py } from "../pydantic.ts"

const { str, int } = py

/** The `Literal`s' values, in declaration order (also the tools' parameter schemas). */
export const CABIN_CLASSES = ["business", "economy", "basic_economy"] as const
export const FLIGHT_TYPES = ["round_trip", "one_way"] as const
export const INSURANCE_CHOICES = ["yes", "no"] as const
const CABIN_CLASS = py.literal(...CABIN_CLASSES)
const MEMBERSHIP = py.literal("gold", "silver", "regular")

const strings = (...names: ReadonlyArray<string>): FieldDef[] => names.map((n) => field(n, str))

// --- flights -----------------------------------------------------------------------------------

const seatsByCabin = py.dict(int, CABIN_CLASS)
const dateStatus = (name: string, status: string, ...fields: FieldDef[]) =>
  defineModel(`FlightDateStatus${name}`, [field("status", py.literal(status)), ...fields])

const FlightDateStatus = py.union("status", [
  dateStatus("Available", "available", field("available_seats", seatsByCabin), field("prices", seatsByCabin)),
  dateStatus("Landed", "landed", ...strings("actual_departure_time_est", "actual_arrival_time_est")),
  dateStatus("Cancelled", "cancelled"),
  dateStatus("Delayed", "delayed", ...strings("estimated_departure_time_est", "estimated_arrival_time_est")),
  dateStatus("Flying", "flying", ...strings("actual_departure_time_est", "estimated_arrival_time_est")),
  dateStatus("OnTime", "on time", ...strings("estimated_departure_time_est", "estimated_arrival_time_est")),
])

const Flight = defineModel("Flight", [
  ...strings("flight_number", "origin", "destination", "scheduled_departure_time_est", "scheduled_arrival_time_est"),
  field("dates", py.dict(FlightDateStatus)),
])

// --- users ---------------------------------------------------------------------------------------

export const Passenger = defineModel("Passenger", strings("first_name", "last_name", "dob"))

export const Certificate = defineModel("Certificate", [field("source", py.literal("certificate")), field("id", str), field("amount", py.float)])

const PaymentMethod = py.union("source", [
  defineModel("CreditCard", [field("source", py.literal("credit_card")), ...strings("id", "brand", "last_four")]),
  defineModel("GiftCard", [field("source", py.literal("gift_card")), field("id", str), field("amount", py.float)]),
  Certificate,
])

const User = defineModel("User", [
  field("user_id", str),
  field("name", py.model(defineModel("Name", strings("first_name", "last_name")))),
  field("address", py.model(defineModel("Address", [field("address1", str), optionalField("address2", str), ...strings("city", "country", "state", "zip")]))),
  ...strings("email", "dob"),
  field("payment_methods", py.dict(PaymentMethod)),
  field("saved_passengers", py.list(py.model(Passenger))),
  field("membership", MEMBERSHIP),
  field("reservations", py.list(str)),
])

// --- reservations --------------------------------------------------------------------------------

export const FlightInfo = defineModel("FlightInfo", strings("flight_number", "date"))
export const Payment = defineModel("Payment", [field("payment_id", str), field("amount", int)])
export const ReservationFlight = defineModel("ReservationFlight", [...strings("flight_number", "origin", "destination", "date"), field("price", int)])

export const Reservation = defineModel("Reservation", [
  ...strings("reservation_id", "user_id", "origin", "destination"),
  field("flight_type", py.literal(...FLIGHT_TYPES)),
  field("cabin", CABIN_CLASS),
  field("flights", py.list(py.model(ReservationFlight))),
  field("passengers", py.list(py.model(Passenger))),
  field("payment_history", py.list(py.model(Payment))),
  field("created_at", str),
  field("total_baggages", int),
  field("nonfree_baggages", int),
  field("insurance", py.literal(...INSURANCE_CHOICES)),
  optionalField("status", py.literal("cancelled")),
])

export const FlightDB = defineModel(
  "FlightDB",
  [field("flights", py.dict(py.model(Flight))), field("users", py.dict(py.model(User))), field("reservations", py.dict(py.model(Reservation)))],
  "forbid",
)
