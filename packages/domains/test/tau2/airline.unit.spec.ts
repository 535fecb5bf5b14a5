/**
 * The airline tools on a small hand-made database: the quirks of the reference (semantics §4.2)
 * that the gold fixtures exercise little or not at all. Expected texts are the reference's
 * (checked against its Python code with pydantic 2.x).
 */
import { describe, expect, it } from "vitest"
import { type Domain, executeToolCall, float, materialize, type Node, nodeAt, PyJson, type PyObject, type PyValue } from "@tau-sim/engine"
import { DataFileError } from "../../src/tau2/errors.ts"
import { FlightDB } from "../../src/tau2/airline/models.ts"
import { decodeModel } from "../../src/tau2/validate.ts"
import { airlineModule } from "../../src/tau2/airline/index.ts"

const seats = (n: number) => ({ business: n, economy: n, basic_economy: n })
const prices = (business: number, economy: number, basic: number) => ({ business, economy, basic_economy: basic })

/** A file-shaped database: file key order, an int gift-card amount, reservations without `status`. */
const RAW_DB = {
  flights: {
    HAT001: {
      origin: "JFK",
      destination: "ORD",
      flight_number: "HAT001",
      scheduled_departure_time_est: "20:00:00",
      scheduled_arrival_time_est: "02:00:00+1",
      dates: {
        "2024-05-05": { status: "available", available_seats: seats(5), prices: prices(500, 200, 100) },
        "2024-05-09": { status: "available", available_seats: seats(5), prices: prices(500, 200, 100) },
        "2024-05-10": { status: "cancelled" },
      },
    },
    HAT002: {
      origin: "ORD",
      destination: "SFO",
      flight_number: "HAT002",
      scheduled_departure_time_est: "06:00:00",
      scheduled_arrival_time_est: "09:00:00",
      dates: {
        "2024-05-06": { status: "available", available_seats: seats(5), prices: prices(400, 150, 80) },
        "2024-05-10": { status: "available", available_seats: seats(1), prices: prices(400, 150, 80) },
      },
    },
    HAT003: {
      origin: "ORD",
      destination: "SFO",
      flight_number: "HAT003",
      scheduled_departure_time_est: "01:00:00",
      scheduled_arrival_time_est: "04:00:00",
      dates: { "2024-05-10": { status: "available", available_seats: seats(5), prices: prices(400, 150, 80) } },
    },
  },
  users: {
    ann_lee_1: {
      user_id: "ann_lee_1",
      name: { first_name: "Ann", last_name: "Lee" },
      address: { address1: "1 Main St", city: "Austin", country: "USA", state: "TX", zip: "78701" },
      email: "ann@example.com",
      dob: "1990-01-01",
      payment_methods: {
        credit_card_1: { source: "credit_card", id: "credit_card_1", brand: "visa", last_four: "1234" },
        gift_card_1: { source: "gift_card", id: "gift_card_1", amount: 300 },
        certificate_1: { source: "certificate", id: "certificate_1", amount: float(250.0) },
      },
      saved_passengers: [],
      membership: "gold",
      reservations: ["ABC123"],
    },
  },
  reservations: {
    ABC123: {
      reservation_id: "ABC123",
      user_id: "ann_lee_1",
      origin: "ORD",
      destination: "SFO",
      flight_type: "one_way",
      cabin: "economy",
      flights: [{ origin: "ORD", destination: "SFO", flight_number: "HAT002", date: "2024-05-06", price: 150 }],
      passengers: [{ first_name: "Ann", last_name: "Lee", dob: "1990-01-01" }],
      payment_history: [{ payment_id: "gift_card_1", amount: 150 }],
      created_at: "2024-05-01T10:00:00",
      total_baggages: 1,
      nonfree_baggages: 0,
      insurance: "no",
    },
  },
} as const

const domain = (): Domain => ({
  name: "airline",
  agentToolkit: airlineModule.agentToolkit,
  initialWorld: { agent: decodeModel(FlightDB, PyJson.fromPlain(RAW_DB), "db.json") },
  policy: { default: "" },
  tasks: [],
  splits: {},
  hashes: { data: "", tasks: "", policy: "" },
})

/** Runs calls in order; returns the outputs and the final world. */
/** A reservation as the tools print it (the fields these tests read). */
interface ReservationOut {
  readonly reservation_id: string
  readonly status: string | null
  readonly cabin: string
  readonly flights: ReadonlyArray<{ flight_number: string; price: number }>
  readonly payment_history: ReadonlyArray<{ payment_id: string; amount: number }>
  readonly [field: string]: unknown
}
/** A flight of a search result. */
interface FlightOut {
  readonly flight_number: string
  readonly date: string | null
}

const session = () => {
  const d = domain()
  let world: Node = d.initialWorld
  return {
    call: (name: string, args: Record<string, unknown>) => {
      const outcome = executeToolCall(
        d,
        world,
        { id: "c", name, arguments: PyJson.fromPlain(args) as Record<string, PyValue>, requestor: "assistant" },
        { random: () => 0 },
      )
      world = outcome.world
      return { ...outcome, json: <Out = ReservationOut>() => PyJson.toPlain(PyJson.parse(outcome.output)) as Out }
    },
    at: (...path: string[]): unknown => {
      const n = nodeAt(world, ["agent", ...path])
      return n === undefined ? undefined : PyJson.toPlain(materialize(n))
    },
    raw: (...path: string[]): PyValue | undefined => {
      const n = nodeAt(world, ["agent", ...path])
      return n === undefined ? undefined : materialize(n)
    },
  }
}

describe("airline database loading", () => {
  it("shapes the file like pydantic's model_dump: field order, defaults, floats", () => {
    const db = materialize(domain().initialWorld)
    const at = (...path: string[]): PyValue => path.reduce((x, k) => (x as PyObject)[k], db)
    expect(Object.keys(at("agent", "reservations", "ABC123", "flights", "0") as PyObject)).toEqual(["flight_number", "origin", "destination", "date", "price"])
    expect(at("agent", "reservations", "ABC123", "status")).toBeNull()
    expect(Object.keys(at("agent", "flights", "HAT001") as PyObject).slice(0, 3)).toEqual(["flight_number", "origin", "destination"])
    expect(at("agent", "users", "ann_lee_1", "address", "address2")).toBeNull()
    expect(PyJson.dumps(at("agent", "users", "ann_lee_1", "payment_methods", "gift_card_1"))).toBe(
      '{"source": "gift_card", "id": "gift_card_1", "amount": 300.0}',
    )
  })

  it("reports the file, the place and the expectation of a bad value", () => {
    const broken = PyJson.fromPlain({ ...RAW_DB, users: { x: { ...RAW_DB.users.ann_lee_1, membership: "platinum" } } })
    expect(() => decodeModel(FlightDB, broken, "db.json")).toThrow(DataFileError)
    expect(() => decodeModel(FlightDB, broken, "db.json")).toThrow(/db\.json: at users\.x\.membership: expected one of "gold", "silver", "regular"/)
    expect(() => decodeModel(FlightDB, PyJson.fromPlain({ ...RAW_DB, extra: {} }), "db.json")).toThrow(/at extra: expected no such key/)
  })
})

describe("search_onestop_flight", () => {
  it("dates an overnight connection `2024-05-<day+1>`, so day 9 finds the 10th", () => {
    const s = session()
    const result = s.call("search_onestop_flight", { origin: "JFK", destination: "SFO", date: "2024-05-09" }).json<FlightOut[][]>()
    expect(result.map((pair) => pair.map((f) => [f.flight_number, f.date]))).toEqual([
      [
        ["HAT001", "2024-05-09"],
        ["HAT002", "2024-05-10"],
      ],
    ])
  })

  it("does not zero-pad the next day: from the 5th it looks for `2024-05-6` and finds nothing", () => {
    const s = session()
    expect(s.call("search_onestop_flight", { origin: "JFK", destination: "SFO", date: "2024-05-05" }).output).toBe("[]")
  })

  it("compares the connection's departure with the arrival text (`01:00:00` < `02:00:00+1`)", () => {
    const s = session()
    const result = s.call("search_onestop_flight", { origin: "JFK", destination: "SFO", date: "2024-05-09" }).json<FlightOut[][]>()
    expect(result.flat().map((f) => f.flight_number)).not.toContain("HAT003")
  })

  it("lists direct flights with a null date in DirectFlight field order", () => {
    const s = session()
    const out = s.call("search_direct_flight", { origin: "ORD", destination: "SFO", date: "2024-05-10" }).output
    expect(
      out.startsWith(
        '[{"flight_number": "HAT002", "origin": "ORD", "destination": "SFO", "status": "available", "scheduled_departure_time_est": "06:00:00", "scheduled_arrival_time_est": "09:00:00", "date": null, "available_seats"',
      ),
    ).toBe(true)
  })
})

const booking = (overrides: Record<string, unknown> = {}) => ({
  user_id: "ann_lee_1",
  origin: "ORD",
  destination: "SFO",
  flight_type: "one_way",
  cabin: "economy",
  flights: [{ flight_number: "HAT002", date: "2024-05-06" }],
  passengers: [
    { first_name: "Ann", last_name: "Lee", dob: "1990-01-01" },
    { first_name: "Bo", last_name: "Lee", dob: "1992-02-02" },
  ],
  payment_methods: [{ payment_id: "credit_card_1", amount: 300 }],
  total_baggages: 0,
  nonfree_baggages: 0,
  insurance: "no",
  ...overrides,
})

describe("book_reservation payment checks", () => {
  it("rejects unknown methods, short balances and wrong totals without writing anything", () => {
    const s = session()
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ payment_methods: [{ payment_id: "paypal_9", amount: 300 }] }, "Error: Payment method paypal_9 not found"],
      [
        {
          payment_methods: [
            { payment_id: "certificate_1", amount: 260 },
            { payment_id: "credit_card_1", amount: 40 },
          ],
        },
        "Error: Not enough balance in payment method certificate_1",
      ],
      [{ payment_methods: [{ payment_id: "credit_card_1", amount: 299 }] }, "Error: Payment amount does not add up, total price is 300, but paid 299"],
      // The baggage fee multiplies the raw argument: a float makes the total a float.
      [{ nonfree_baggages: float(1.0) }, "Error: Payment amount does not add up, total price is 350.0, but paid 300"],
      [{ flights: [{ flight_number: "HAT002", date: "2024-05-10" }], cabin: "business" }, "Error: Not enough seats on flight HAT002"],
      [{ flights: [{ flight_number: "HAT001", date: "2024-05-10" }] }, "Error: Flight HAT001 not available on date 2024-05-10"],
    ]
    for (const [args, expected] of cases) {
      const outcome = s.call("book_reservation", booking(args))
      expect(outcome.output).toBe(expected)
      expect(outcome.error).toBe(true)
      expect(outcome.patch).toEqual([])
    }
  })

  it("validates payments like pydantic (int field, lax)", () => {
    const s = session()
    expect(s.call("book_reservation", booking({ payment_methods: [{ payment_id: "credit_card_1", amount: 299.5 }] })).output).toBe(
      "Error: 1 validation error for Payment\namount\n  Input should be a valid integer, got a number with a fractional part [type=int_from_float, input_value=299.5, input_type=float]\n    For further information visit https://errors.pydantic.dev/2.11/v/int_from_float",
    )
    // "300" and 300.0 are accepted and stored as the int 300.
    const ok = s.call("book_reservation", booking({ payment_methods: [{ payment_id: "credit_card_1", amount: "300" }] }))
    expect(ok.error).toBe(false)
    expect(ok.json().payment_history).toEqual([{ payment_id: "credit_card_1", amount: 300 }])
  })

  it("charges gift cards, consumes certificates, takes seats and stores the reservation", () => {
    const s = session()
    const outcome = s.call(
      "book_reservation",
      booking({
        insurance: "yes",
        payment_methods: [
          { payment_id: "gift_card_1", amount: 110 },
          { payment_id: "certificate_1", amount: 250 },
        ],
      }),
    )
    expect(outcome.error).toBe(false)
    const reservation = outcome.json()
    expect(reservation.reservation_id).toBe("HATHAT")
    expect(reservation.created_at).toBe("2024-05-15T15:00:00")
    expect(reservation.status).toBeNull()
    expect(reservation.flights).toEqual([{ flight_number: "HAT002", origin: "ORD", destination: "SFO", date: "2024-05-06", price: 150 }])
    expect(PyJson.dumps(s.raw("users", "ann_lee_1", "payment_methods", "gift_card_1", "amount") as PyValue)).toBe("190.0")
    expect(s.at("users", "ann_lee_1", "payment_methods", "certificate_1")).toBeUndefined()
    expect(s.at("flights", "HAT002", "dates", "2024-05-06", "available_seats", "economy")).toBe(3)
    expect(s.at("users", "ann_lee_1", "reservations")).toEqual(["ABC123", "HATHAT"])
    // The next booking takes the next fixed id.
    expect(s.call("book_reservation", booking()).json().reservation_id).toBe("HATHAU")
  })
})

describe("payment for reservation updates", () => {
  it("refuses certificates even when nothing is due", () => {
    const s = session()
    const outcome = s.call("update_reservation_baggages", { reservation_id: "ABC123", total_baggages: 1, nonfree_baggages: 0, payment_id: "certificate_1" })
    expect(outcome.output).toBe("Error: Certificate cannot be used to update reservation")
  })

  it("checks gift card balances and records only non-zero payments", () => {
    const s = session()
    expect(s.call("update_reservation_baggages", { reservation_id: "ABC123", total_baggages: 8, nonfree_baggages: 7, payment_id: "gift_card_1" }).output).toBe(
      "Error: Gift card balance is not enough",
    )
    const free = s.call("update_reservation_baggages", { reservation_id: "ABC123", total_baggages: 2, nonfree_baggages: 0, payment_id: "gift_card_1" }).json()
    expect(free.payment_history).toHaveLength(1)
    expect(free.total_baggages).toBe(2)
    const paid = s.call("update_reservation_baggages", { reservation_id: "ABC123", total_baggages: 3, nonfree_baggages: 1, payment_id: "gift_card_1" }).json()
    expect(paid.payment_history.at(-1)).toEqual({ payment_id: "gift_card_1", amount: 50 })
    expect(s.at("users", "ann_lee_1", "payment_methods", "gift_card_1", "amount")).toBe(250)
  })

  it("refunds a cheaper itinerary to the gift card and keeps unchanged segments at their old price", () => {
    const s = session()
    const cheaper = s
      .call("update_reservation_flights", {
        reservation_id: "ABC123",
        cabin: "basic_economy",
        flights: [{ flight_number: "HAT002", date: "2024-05-06" }],
        payment_id: "gift_card_1",
      })
      .json()
    expect(cheaper.cabin).toBe("basic_economy")
    expect(cheaper.flights[0].price).toBe(80) // another cabin: repriced
    expect(cheaper.payment_history.at(-1)).toEqual({ payment_id: "gift_card_1", amount: -70 })
    expect(s.at("users", "ann_lee_1", "payment_methods", "gift_card_1", "amount")).toBe(370)
    // Seats are not touched by updates.
    expect(s.at("flights", "HAT002", "dates", "2024-05-06", "available_seats", "basic_economy")).toBe(5)
  })
})

describe("other write tools", () => {
  it("send_certificate echoes the amount as passed and stores a float", () => {
    const s = session()
    expect(s.call("send_certificate", { user_id: "ann_lee_1", amount: 150 }).output).toBe(
      "Certificate certificate_3221322 added to user ann_lee_1 with amount 150.",
    )
    expect(s.call("send_certificate", { user_id: "ann_lee_1", amount: float(150) }).output).toBe(
      "Certificate certificate_3221323 added to user ann_lee_1 with amount 150.0.",
    )
    expect(PyJson.dumps(s.raw("users", "ann_lee_1", "payment_methods", "certificate_3221322") as PyValue)).toBe(
      '{"source": "certificate", "id": "certificate_3221322", "amount": 150.0}',
    )
    s.call("send_certificate", { user_id: "ann_lee_1", amount: 1 })
    expect(s.call("send_certificate", { user_id: "ann_lee_1", amount: 1 }).output).toBe("Error: Too many certificates")
  })

  it("cancel_reservation appends negative copies of the payments and keeps seats", () => {
    const s = session()
    const cancelled = s.call("cancel_reservation", { reservation_id: "ABC123" }).json()
    expect(cancelled.status).toBe("cancelled")
    expect(cancelled.payment_history).toEqual([
      { payment_id: "gift_card_1", amount: 150 },
      { payment_id: "gift_card_1", amount: -150 },
    ])
    expect(s.at("flights", "HAT002", "dates", "2024-05-06", "available_seats", "economy")).toBe(5)
  })

  it("update_reservation_passengers requires the same number of passengers", () => {
    const s = session()
    expect(s.call("update_reservation_passengers", { reservation_id: "ABC123", passengers: [] }).output).toBe("Error: Number of passengers does not match")
  })

  it("uses raw arguments where Python does (unhashable ids, bad operands)", () => {
    const s = session()
    expect(s.call("get_user_details", { user_id: ["ann_lee_1"] }).output).toBe("Error: unhashable type: 'list'")
    expect(s.call("get_reservation_details", { reservation_id: 7 }).output).toBe("Error: Reservation 7 not found")
    expect(
      s.call("update_reservation_baggages", { reservation_id: "ABC123", total_baggages: 1, nonfree_baggages: "1", payment_id: "gift_card_1" }).output,
    ).toBe("Error: unsupported operand type(s) for -: 'str' and 'int'")
    expect(s.call("get_flight_status", { flight_number: "HAT001", date: "2024-05-10" }).output).toBe("cancelled")
    expect(s.call("get_flight_status", { flight_number: "HAT001", date: "2024-06-01" }).output).toBe("Error: Flight HAT001 not found on date 2024-06-01")
  })
})

describe("airline toolkit metadata", () => {
  it("lists the 14 tools in the reference's order with their kinds", () => {
    const tools = airlineModule.agentToolkit.tools
    expect(tools.map((t) => `${t.name}:${t.kind}`)).toEqual([
      "book_reservation:write",
      "calculate:generic",
      "cancel_reservation:write",
      "get_reservation_details:read",
      "get_user_details:read",
      "list_all_airports:read",
      "search_direct_flight:read",
      "search_onestop_flight:read",
      "send_certificate:write",
      "transfer_to_human_agents:generic",
      "update_reservation_baggages:write",
      "update_reservation_flights:write",
      "update_reservation_passengers:write",
      "get_flight_status:read",
    ])
    expect(airlineModule.supportsSolo).toBe(false)
    expect(airlineModule.userToolkit).toBeUndefined()
    for (const t of tools) for (const p of t.params) expect(p.description, `${t.name}.${p.name}`).toBeTruthy()
  })
})
