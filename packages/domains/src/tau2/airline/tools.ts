/**
 * The airline agent toolkit `AirlineTools` (semantics §4.2), tool by tool in the reference's order.
 *
 * Tools read the database through a `Draft` and record every write there in the order the
 * reference mutates its objects, so a call that fails half-way leaves the same partial writes.
 * Arguments are used as the model sent them (no coercion), except where the reference builds
 * pydantic models from them (`models.ts`).
 */
import { Schema } from "effect"
import { type Draft, isObject, type PyObject, pyEquals, pyRepr, pyStr, type PyValue, type ToolDef, ToolError, type Toolkit, typeName } from "@tau-sim/engine"
import { calculateTool } from "../common/calculate.ts"
import { hasKey, iterate, len } from "../python.ts"
import { build, isInstance, type ModelDef } from "../pydantic.ts"
import { CABIN_CLASSES, Certificate, FLIGHT_TYPES, FlightInfo, INSURANCE_CHOICES, Passenger, Payment, Reservation, ReservationFlight } from "./models.ts"
import { isNonZero, noAttribute, pyArith, pyIntOfStr, pyLess, pyMax } from "./python-ops.ts"
import { transferToHumanAgents } from "../common/transfer.ts"

/** "Now" in the airline world (the reference's `_get_datetime`). */
const NOW = "2024-05-15T15:00:00"
const NEW_RESERVATION_IDS = ["HATHAT", "HATHAU", "HATHAV"]
const NEW_CERTIFICATE_IDS = ["certificate_3221322", "certificate_3221323", "certificate_3221324"]

// --- database access (the reference's private `_get_*` helpers) --------------------------------

const getUser = (db: Draft, userId: PyValue): PyObject => {
  if (!hasKey(db, ["users"], userId)) throw new ToolError(`User ${pyStr(userId)} not found`)
  return db.get("users", userId) as PyObject
}

const getReservation = (db: Draft, reservationId: PyValue): PyObject => {
  if (!hasKey(db, ["reservations"], reservationId)) throw new ToolError(`Reservation ${pyStr(reservationId)} not found`)
  return db.get("reservations", reservationId) as PyObject
}

const getFlight = (db: Draft, flightNumber: PyValue): PyObject => {
  if (!hasKey(db, ["flights"], flightNumber)) throw new ToolError(`Flight ${pyStr(flightNumber)} not found`)
  return db.get("flights", flightNumber) as PyObject
}

/** A flight's status on one date, with the path to it for seat updates. */
const getFlightInstance = (db: Draft, flightNumber: PyValue, date: PyValue): { status: PyObject; path: string[] } => {
  getFlight(db, flightNumber)
  const fn = flightNumber as string
  if (!hasKey(db, ["flights", fn, "dates"], date)) throw new ToolError(`Flight ${fn} not found on date ${pyStr(date)}`)
  return { status: db.get("flights", fn, "dates", date) as PyObject, path: ["flights", fn, "dates", date] }
}

/** Python's `unhashable type` error for a list or dict used as a key. */
const requireHashable = (key: PyValue): void => {
  if (Array.isArray(key) || isObject(key)) throw new ToolError(`unhashable type: '${typeName(key)}'`)
}

/** Python `mapping[key]` on a dict with string keys (a KeyError shows the key's repr). */
const item = (mapping: PyObject, key: PyValue): PyValue => {
  requireHashable(key)
  if (typeof key === "string" && Object.hasOwn(mapping, key)) return mapping[key]
  throw new ToolError(pyRepr(key))
}

/** The reference's `_search_direct_flight`: flights in DB order available on `date`. */
const searchDirect = (flights: PyObject, date: PyValue, origin: PyValue, destination: PyValue, leaveAfter?: string): Record<string, PyValue>[] => {
  const results: Record<string, PyValue>[] = []
  for (const f of Object.values(flights) as PyObject[]) {
    if (origin !== null && !pyEquals(f.origin, origin)) continue
    if (destination !== null && !pyEquals(f.destination, destination)) continue
    const dates = f.dates as PyObject
    requireHashable(date)
    if (typeof date !== "string" || !Object.hasOwn(dates, date)) continue
    const status = dates[date] as PyObject
    if (status.status !== "available") continue
    if (leaveAfter !== undefined && !((f.scheduled_departure_time_est as string) >= leaveAfter)) continue
    results.push({
      flight_number: f.flight_number,
      origin: f.origin,
      destination: f.destination,
      status: "available",
      scheduled_departure_time_est: f.scheduled_departure_time_est,
      scheduled_arrival_time_est: f.scheduled_arrival_time_est,
      date: null,
      available_seats: status.available_seats,
      prices: status.prices,
    })
  }
  return results
}

/**
 * A flight segment to sell: the flight must exist, fly on `date`, be available and have
 * `passengerCount` seats in `cabin`; priced at today's `prices[cabin]` (checks in the reference's order).
 */
const sellableSegment = (
  db: Draft,
  flightNumber: PyValue,
  date: PyValue,
  cabin: PyValue,
  passengerCount: number,
): { readonly segment: PyObject; readonly seatsPath: ReadonlyArray<string> } => {
  const flight = getFlight(db, flightNumber)
  const instance = getFlightInstance(db, flightNumber, date)
  if (instance.status.status !== "available") throw new ToolError(`Flight ${pyStr(flightNumber)} not available on date ${pyStr(date)}`)
  if (pyLess(item(instance.status.available_seats as PyObject, cabin), passengerCount)) {
    throw new ToolError(`Not enough seats on flight ${pyStr(flightNumber)}`)
  }
  const price = item(instance.status.prices as PyObject, cabin)
  const segment = build(ReservationFlight, { flight_number: flightNumber, origin: flight.origin, destination: flight.destination, date, price })
  return { segment, seatsPath: instance.path }
}

/**
 * How the paid updates end: the reference's `_payment_for_update` checks and charges (or refunds)
 * one payment method, the payment is recorded unless it is zero, then the reservation's attributes
 * are assigned (plain attribute sets: pydantic does not validate them) and it is returned.
 */
const chargeAndUpdate = (
  db: Draft,
  reservation: { readonly id: string; readonly userId: string },
  paymentId: PyValue,
  totalPrice: PyValue,
  changes: ReadonlyArray<readonly [field: string, value: PyValue]>,
): PyObject => {
  const { id, userId } = reservation
  if (!hasKey(db, ["users", userId, "payment_methods"], paymentId)) throw new ToolError("Payment method not found")
  const methodPath = ["users", userId, "payment_methods", paymentId]
  const method = db.get(...methodPath) as PyObject
  if (method.source === "certificate") throw new ToolError("Certificate cannot be used to update reservation")
  if (method.source === "gift_card" && pyLess(method.amount, totalPrice)) throw new ToolError("Gift card balance is not enough")
  if (method.source === "gift_card") db.set([...methodPath, "amount"], pyArith("-", method.amount, totalPrice, true))
  if (isNonZero(totalPrice)) db.push(["reservations", id, "payment_history"], build(Payment, { payment_id: paymentId, amount: totalPrice }))
  for (const [field, value] of changes) db.set(["reservations", id, field], value)
  return db.get("reservations", id) as PyObject
}

/** `if all(isinstance(x, dict) for x in value): value = [Model(**x) for x in value]`. */
const modelsIfAllDicts = (value: PyValue, model: ModelDef): PyValue => {
  const items = iterate(value)
  return items.every(isObject) ? items.map((x) => build(model, x as PyObject)) : value
}

/** `x.<name>` on an element that should be a built model (a list of non-dicts stays as sent). */
const attr = (v: PyValue, name: string): PyValue => (isInstance(v) ? (v as PyObject)[name] : noAttribute(v, name))

// --- parameter schemas (shown to models) ----------------------------------------------------

const RESERVATION_ID = (example: string) => ({
  name: "reservation_id",
  description: `The reservation ID, such as '${example}'.`,
  schema: Schema.String,
})
const PAYMENT_ID = {
  name: "payment_id",
  description: "The payment id stored in user profile, such as 'credit_card_7815826', 'gift_card_7815826', 'certificate_7815826'.",
  schema: Schema.String,
}
const Cabin = Schema.Literals(CABIN_CLASSES)
const AnyDict = Schema.Record(Schema.String, Schema.Unknown)
const FlightInfoSchema = Schema.Struct({
  flight_number: Schema.String.annotate({ description: "Flight number, such as 'HAT001'." }),
  date: Schema.String.annotate({ description: "The date for the flight in the format 'YYYY-MM-DD', such as '2024-05-01'." }),
}).annotate({ title: "FlightInfo" })
const PassengerSchema = Schema.Struct({
  first_name: Schema.String.annotate({ description: "Passenger's first name" }),
  last_name: Schema.String.annotate({ description: "Passenger's last name" }),
  dob: Schema.String.annotate({ description: "Date of birth in YYYY-MM-DD format" }),
}).annotate({ title: "Passenger" })
const PaymentSchema = Schema.Struct({
  payment_id: Schema.String.annotate({ description: "Unique identifier for the payment" }),
  amount: Schema.Int.annotate({ description: "Payment amount in dollars" }),
}).annotate({ title: "Payment" })
const FlightsParam = Schema.Array(Schema.Union([FlightInfoSchema, AnyDict]))
const PassengersParam = Schema.Array(Schema.Union([PassengerSchema, AnyDict]))

// --- tools ---------------------------------------------------------------------------------

const bookReservation: ToolDef = {
  name: "book_reservation",
  kind: "write",
  description: "Book a reservation.",
  params: [
    { name: "user_id", description: "The ID of the user to book the reservation such as 'sara_doe_496'`.", schema: Schema.String },
    { name: "origin", description: "The IATA code for the origin city such as 'SFO'.", schema: Schema.String },
    { name: "destination", description: "The IATA code for the destination city such as 'JFK'.", schema: Schema.String },
    { name: "flight_type", description: "The type of flight such as 'one_way' or 'round_trip'.", schema: Schema.Literals(FLIGHT_TYPES) },
    { name: "cabin", description: "The cabin class such as 'basic_economy', 'economy', or 'business'.", schema: Cabin },
    { name: "flights", description: "An array of objects containing details about each piece of flight.", schema: FlightsParam },
    { name: "passengers", description: "An array of objects containing details about each passenger.", schema: PassengersParam },
    {
      name: "payment_methods",
      description: "An array of objects containing details about each payment method.",
      schema: Schema.Array(Schema.Union([PaymentSchema, AnyDict])),
    },
    { name: "total_baggages", description: "The total number of baggage items to book the reservation.", schema: Schema.Int },
    { name: "nonfree_baggages", description: "The number of non-free baggage items to book the reservation.", schema: Schema.Int },
    { name: "insurance", description: "Whether the reservation has insurance.", schema: Schema.Literals(INSURANCE_CHOICES) },
  ],
  run: (db, args) => {
    const flights = modelsIfAllDicts(args.flights, FlightInfo)
    const passengers = modelsIfAllDicts(args.passengers, Passenger)
    const payments = modelsIfAllDicts(args.payment_methods, Payment)
    getUser(db, args.user_id)
    const userId = args.user_id as string
    const reservationId = NEW_RESERVATION_IDS.find((id) => !db.has("reservations", id))
    if (reservationId === undefined) throw new ToolError("Too many reservations")

    const reservation = build(Reservation, {
      reservation_id: reservationId,
      user_id: userId,
      origin: args.origin,
      destination: args.destination,
      flight_type: args.flight_type,
      cabin: args.cabin,
      flights: [],
      passengers,
      payment_history: payments,
      created_at: NOW,
      total_baggages: args.total_baggages,
      nonfree_baggages: args.nonfree_baggages,
      insurance: args.insurance,
    })
    const cabin = args.cabin as string // validated by Reservation
    const passengerCount = len(passengers)

    const reservationFlights: PyObject[] = []
    const seatPaths: Array<ReadonlyArray<string>> = []
    let totalPrice: PyValue = 0
    for (const flightInfo of iterate(flights)) {
      const { segment, seatsPath } = sellableSegment(db, attr(flightInfo, "flight_number"), (flightInfo as PyObject).date, cabin, passengerCount)
      reservationFlights.push(segment)
      seatPaths.push(seatsPath)
      totalPrice = pyArith("+", totalPrice, pyArith("*", segment.price, passengerCount), true)
    }
    if (args.insurance === "yes") totalPrice = pyArith("+", totalPrice, 30 * passengerCount, true)
    totalPrice = pyArith("+", totalPrice, pyArith("*", 50, args.nonfree_baggages), true)

    const paymentList = payments as PyObject[]
    for (const payment of paymentList) {
      const paymentId = payment.payment_id as string
      if (!db.has("users", userId, "payment_methods", paymentId)) throw new ToolError(`Payment method ${paymentId} not found`)
      const method = db.get("users", userId, "payment_methods", paymentId) as PyObject
      if ((method.source === "gift_card" || method.source === "certificate") && pyLess(method.amount, payment.amount)) {
        throw new ToolError(`Not enough balance in payment method ${paymentId}`)
      }
    }
    const totalPayment = paymentList.reduce<number>((sum, p) => sum + (p.amount as number), 0)
    if (!pyEquals(totalPayment, totalPrice)) {
      throw new ToolError(`Payment amount does not add up, total price is ${pyStr(totalPrice)}, but paid ${totalPayment}`)
    }

    // All checks passed: charge, then update seats and store the reservation.
    for (const payment of paymentList) {
      const path = ["users", userId, "payment_methods", payment.payment_id as string]
      // A certificate listed twice is gone the second time: Python's KeyError.
      if (!db.has(...path)) throw new ToolError(pyRepr(payment.payment_id))
      const method = db.get(...path) as PyObject
      if (method.source === "gift_card") db.set([...path, "amount"], pyArith("-", method.amount, payment.amount, true))
      else if (method.source === "certificate") db.remove(path)
    }
    for (const path of seatPaths) {
      const seats = [...path, "available_seats", cabin]
      db.set(seats, pyArith("-", db.get(...seats) as PyValue, passengerCount, true))
    }
    const stored: PyObject = { ...reservation, flights: reservationFlights }
    db.set(["reservations", reservationId], stored)
    db.push(["users", userId, "reservations"], reservationId)
    return stored
  },
}

const cancelReservation: ToolDef = {
  name: "cancel_reservation",
  kind: "write",
  description: "Cancel the whole reservation.",
  params: [RESERVATION_ID("ZFA04Y")],
  run: (db, args) => {
    const reservation = getReservation(db, args.reservation_id)
    const id = args.reservation_id as string
    const refunds = (reservation.payment_history as PyObject[]).map((p) => build(Payment, { payment_id: p.payment_id, amount: pyArith("-", 0, p.amount) }))
    for (const refund of refunds) db.push(["reservations", id, "payment_history"], refund)
    db.set(["reservations", id, "status"], "cancelled")
    // The reference does not release seats on cancellation.
    return db.get("reservations", id) as PyObject
  },
}

const getReservationDetails: ToolDef = {
  name: "get_reservation_details",
  kind: "read",
  description: "Get the details of a reservation.",
  params: [RESERVATION_ID("8JX2WO")],
  run: (db, args) => getReservation(db, args.reservation_id),
}

const getUserDetails: ToolDef = {
  name: "get_user_details",
  kind: "read",
  description: "Get the details of a user, including their reservations.",
  params: [{ name: "user_id", description: "The user ID, such as 'sara_doe_496'.", schema: Schema.String }],
  run: (db, args) => getUser(db, args.user_id),
}

const AIRPORTS: ReadonlyArray<readonly [string, string]> = [
  ["SFO", "San Francisco"],
  ["JFK", "New York"],
  ["LAX", "Los Angeles"],
  ["ORD", "Chicago"],
  ["DFW", "Dallas"],
  ["DEN", "Denver"],
  ["SEA", "Seattle"],
  ["ATL", "Atlanta"],
  ["MIA", "Miami"],
  ["BOS", "Boston"],
  ["PHX", "Phoenix"],
  ["IAH", "Houston"],
  ["LAS", "Las Vegas"],
  ["MCO", "Orlando"],
  ["EWR", "Newark"],
  ["CLT", "Charlotte"],
  ["MSP", "Minneapolis"],
  ["DTW", "Detroit"],
  ["PHL", "Philadelphia"],
  ["LGA", "LaGuardia"],
]

const listAllAirports: ToolDef = {
  name: "list_all_airports",
  kind: "read",
  description: "Returns a list of all available airports.",
  params: [],
  run: () => AIRPORTS.map(([iata, city]) => ({ iata, city })),
}

const SEARCH_PARAMS = (dateExample: string) => [
  { name: "origin", description: "The origin city airport in three letters, such as 'JFK'.", schema: Schema.String },
  { name: "destination", description: "The destination city airport in three letters, such as 'LAX'.", schema: Schema.String },
  { name: "date", description: `The date of the flight in the format 'YYYY-MM-DD', such as '${dateExample}'.`, schema: Schema.String },
]

const searchDirectFlight: ToolDef = {
  name: "search_direct_flight",
  kind: "read",
  description: "Search for direct flights between two cities on a specific date.",
  params: SEARCH_PARAMS("2024-01-01"),
  run: (db, args) => searchDirect(db.get("flights") as PyObject, args.date, args.origin, args.destination),
}

const searchOnestopFlight: ToolDef = {
  name: "search_onestop_flight",
  kind: "read",
  description: "Search for one-stop flights between two cities on a specific date.",
  params: SEARCH_PARAMS("2024-05-01"),
  run: (db, args) => {
    const flights = db.get("flights") as PyObject
    const date = args.date
    const results: PyValue[] = []
    for (const first of searchDirect(flights, date, args.origin, null)) {
      first.date = date
      const arrival = first.scheduled_arrival_time_est as string
      // The reference assumes May: the next day is `2024-05-<day+1>`, not zero-padded.
      const nextDate = arrival.includes("+1") ? `2024-05-${pyIntOfStr([...(date as string)].slice(-2).join("")) + 1}` : date
      for (const second of searchDirect(flights, nextDate, first.destination, args.destination, arrival)) {
        second.date = nextDate
        results.push([first, second])
      }
    }
    return results
  },
}

const sendCertificate: ToolDef = {
  name: "send_certificate",
  kind: "write",
  description: "Send a certificate to a user. Be careful!",
  params: [
    { name: "user_id", description: "The ID of the user to book the reservation, such as 'sara_doe_496'.", schema: Schema.String },
    { name: "amount", description: "The amount of the certificate to send.", schema: Schema.Int },
  ],
  run: (db, args) => {
    getUser(db, args.user_id)
    const userId = args.user_id as string
    for (const paymentId of NEW_CERTIFICATE_IDS) {
      if (db.has("users", userId, "payment_methods", paymentId)) continue
      const certificate = build(Certificate, { id: paymentId, amount: args.amount, source: "certificate" })
      db.set(["users", userId, "payment_methods", paymentId], certificate)
      // The message shows the amount as passed (`150` or `150.0`), not the stored float.
      return `Certificate ${paymentId} added to user ${userId} with amount ${pyStr(args.amount)}.`
    }
    throw new ToolError("Too many certificates")
  },
}

const updateReservationBaggages: ToolDef = {
  name: "update_reservation_baggages",
  kind: "write",
  description: "Update the baggage information of a reservation.",
  params: [
    { name: "reservation_id", description: "The reservation ID, such as 'ZFA04Y'", schema: Schema.String },
    { name: "total_baggages", description: "The updated total number of baggage items included in the reservation.", schema: Schema.Int },
    { name: "nonfree_baggages", description: "The updated number of non-free baggage items included in the reservation.", schema: Schema.Int },
    PAYMENT_ID,
  ],
  run: (db, args) => {
    const reservation = getReservation(db, args.reservation_id)
    const id = args.reservation_id as string
    getUser(db, reservation.user_id)
    const added = pyArith("-", args.nonfree_baggages, reservation.nonfree_baggages)
    const totalPrice = pyArith("*", 50, pyMax(0, added))
    return chargeAndUpdate(db, { id, userId: reservation.user_id as string }, args.payment_id, totalPrice, [
      ["total_baggages", args.total_baggages],
      ["nonfree_baggages", args.nonfree_baggages],
    ])
  },
}

const updateReservationFlights: ToolDef = {
  name: "update_reservation_flights",
  kind: "write",
  description: "Update the flight information of a reservation.",
  params: [
    RESERVATION_ID("ZFA04Y"),
    { name: "cabin", description: "The cabin class of the reservation", schema: Cabin },
    {
      name: "flights",
      description:
        "An array of objects containing details about each piece of flight in the ENTIRE new reservation. Even if the a flight segment is not changed, it should still be included in the array.",
      schema: FlightsParam,
    },
    PAYMENT_ID,
  ],
  run: (db, args) => {
    const flights = modelsIfAllDicts(args.flights, FlightInfo)
    const reservation = getReservation(db, args.reservation_id)
    const id = args.reservation_id as string
    getUser(db, reservation.user_id)
    const cabin = args.cabin
    const passengerCount = len(reservation.passengers)
    const current = reservation.flights as PyObject[]

    let totalPrice: PyValue = 0
    const newFlights: PyObject[] = []
    for (const flightInfo of iterate(flights)) {
      const flightNumber = () => attr(flightInfo, "flight_number")
      // An unchanged segment (same number and date, same cabin) keeps the price it was bought at.
      const kept = current.find(
        (f) => pyEquals(f.flight_number, flightNumber()) && pyEquals(f.date, attr(flightInfo, "date")) && pyEquals(cabin, reservation.cabin),
      )
      if (kept !== undefined) {
        totalPrice = pyArith("+", totalPrice, pyArith("*", kept.price, passengerCount), true)
        newFlights.push(kept)
        continue
      }
      const newFlight = sellableSegment(db, flightNumber(), (flightInfo as PyObject).date, cabin, passengerCount).segment
      totalPrice = pyArith("+", totalPrice, pyArith("*", newFlight.price, passengerCount), true)
      newFlights.push(newFlight)
    }
    const paid = current.reduce<PyValue>((sum, f) => pyArith("+", sum, f.price), 0)
    totalPrice = pyArith("-", totalPrice, pyArith("*", paid, passengerCount), true)

    // Seats are not updated here (as in the reference).
    return chargeAndUpdate(db, { id, userId: reservation.user_id as string }, args.payment_id, totalPrice, [
      ["flights", newFlights],
      ["cabin", cabin],
    ])
  },
}

const updateReservationPassengers: ToolDef = {
  name: "update_reservation_passengers",
  kind: "write",
  description: "Update the passenger information of a reservation.",
  params: [
    RESERVATION_ID("ZFA04Y"),
    { name: "passengers", description: "An array of objects containing details about each passenger.", schema: PassengersParam },
  ],
  run: (db, args) => {
    const passengers = modelsIfAllDicts(args.passengers, Passenger)
    const reservation = getReservation(db, args.reservation_id)
    if (len(passengers) !== len(reservation.passengers)) throw new ToolError("Number of passengers does not match")
    db.set(["reservations", args.reservation_id as string, "passengers"], passengers)
    return db.get("reservations", args.reservation_id as string) as PyObject
  },
}

const getFlightStatus: ToolDef = {
  name: "get_flight_status",
  kind: "read",
  description: "Get the status of a flight.",
  params: [
    { name: "flight_number", description: "The flight number.", schema: Schema.String },
    { name: "date", description: "The date of the flight.", schema: Schema.String },
  ],
  run: (db, args) => getFlightInstance(db, args.flight_number, args.date).status.status as string,
}

export const airlineToolkit: Toolkit = {
  className: "AirlineTools",
  tools: [
    bookReservation,
    calculateTool,
    cancelReservation,
    getReservationDetails,
    getUserDetails,
    listAllAirports,
    searchDirectFlight,
    searchOnestopFlight,
    sendCertificate,
    transferToHumanAgents,
    updateReservationBaggages,
    updateReservationFlights,
    updateReservationPassengers,
    getFlightStatus,
  ],
  helpers: {},
}
