/**
 * The demo domain's tools: a small public library help desk. Agent tools work on the library's
 * database; user tools work on the patron's phone app (dual control: some fixes need the patron).
 */
import { type Draft, float, num, param, type PyObject, type PyValue, Schema, type ToolDef, ToolError, type ToolkitSpec, tool } from "@tau-sim/engine/sdk"

const str = (description: string) => param(Schema.String, description)

const member = (db: Draft, memberId: PyValue): PyObject => {
  const m = db.get("members", String(memberId))
  if (m === undefined) throw new ToolError(`Member ${memberId} not found`)
  return m as PyObject
}
const loan = (db: Draft, loanId: PyValue): PyObject => {
  const l = db.get("loans", String(loanId))
  if (l === undefined) throw new ToolError(`Loan ${loanId} not found`)
  return l as PyObject
}
const book = (db: Draft, bookId: PyValue): PyObject => {
  const b = db.get("books", String(bookId))
  if (b === undefined) throw new ToolError(`Book ${bookId} not found`)
  return b as PyObject
}

/** "Today" in the demo world; tools never read the wall clock. */
export const DEMO_TODAY = "2025-03-10"
const MAX_RENEWALS = 2
const MAX_LOANS = 5

const addDays = (date: string, days: number): string => {
  const d = new Date(`${date}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() + days)
  return d.toISOString().slice(0, 10)
}

const agentTools: ToolDef[] = [
  tool({
    name: "find_member_by_email",
    kind: "read",
    description: "Find a library member's id by their email address.",
    params: { email: str("The member's email address.") },
    run: (db, { email }) => {
      for (const [id, m] of db.entries("members")) if ((m as PyObject).email === String(email).toLowerCase()) return id
      throw new ToolError("Member not found")
    },
  }),
  tool({
    name: "get_member_details",
    kind: "read",
    description: "Get a member's profile: card status, outstanding fines and loan ids.",
    params: { member_id: str("The member id, such as 'M001'.") },
    run: (db, { member_id }) => member(db, member_id),
  }),
  tool({
    name: "get_loan_details",
    kind: "read",
    description: "Get a loan: book, due date, renewals so far and status.",
    params: { loan_id: str("The loan id, such as 'L001'.") },
    run: (db, { loan_id }) => loan(db, loan_id),
  }),
  tool({
    name: "search_books",
    kind: "read",
    description: "Search the catalogue by a case-insensitive substring of the title or author.",
    params: { query: str("Words from the title or the author's name.") },
    run: (db, { query }) => {
      const q = String(query).toLowerCase()
      const hits: PyValue[] = []
      for (const [, b] of db.entries("books")) {
        const o = b as PyObject
        if (String(o.title).toLowerCase().includes(q) || String(o.author).toLowerCase().includes(q)) hits.push(o)
      }
      return hits
    },
  }),
  tool({
    name: "checkout_book",
    kind: "write",
    description: "Lend a book to a member for 21 days.\n\nThe card must be active and the member may hold at most 5 active loans.",
    params: { member_id: str("The member id."), book_id: str("The book id, such as 'B001'.") },
    run: (db, { member_id, book_id }) => {
      const m = member(db, member_id)
      const b = book(db, book_id)
      if (m.card_status !== "active") throw new ToolError("Card is blocked")
      const active = (m.loans as string[]).filter((id) => (db.get("loans", id) as PyObject).status === "active")
      if (active.length >= MAX_LOANS) throw new ToolError("Loan limit reached")
      if (num(b.copies_available) < 1) throw new ToolError(`No copies of ${book_id} available`)
      const loanId = `L${String(db.keys("loans").length + 1).padStart(3, "0")}`
      const created = {
        loan_id: loanId,
        member_id: String(member_id),
        book_id: String(book_id),
        due_date: addDays(DEMO_TODAY, 21),
        renewals: 0,
        status: "active",
      }
      db.set(["loans", loanId], created)
      db.push(["members", String(member_id), "loans"], loanId)
      db.set(["books", String(book_id), "copies_available"], num(b.copies_available) - 1)
      return created
    },
  }),
  tool({
    name: "renew_loan",
    kind: "write",
    description: "Extend an active loan by 14 days from its due date (at most 2 renewals).",
    params: { loan_id: str("The loan id.") },
    run: (db, { loan_id }) => {
      const l = loan(db, loan_id)
      if (l.status !== "active") throw new ToolError("Only active loans can be renewed")
      if (num(l.renewals) >= MAX_RENEWALS) throw new ToolError("Renewal limit reached")
      const updated = { ...l, due_date: addDays(String(l.due_date), 14), renewals: num(l.renewals) + 1 }
      db.set(["loans", String(loan_id)], updated)
      return updated
    },
  }),
  tool({
    name: "return_book",
    kind: "write",
    description: "Record the return of a loaned book.",
    params: { loan_id: str("The loan id.") },
    run: (db, { loan_id }) => {
      const l = loan(db, loan_id)
      if (l.status !== "active") throw new ToolError("Loan is already returned")
      db.set(["loans", String(loan_id), "status"], "returned")
      const b = book(db, l.book_id)
      db.set(["books", String(l.book_id), "copies_available"], num(b.copies_available) + 1)
      return `Loan ${loan_id} returned`
    },
  }),
  tool({
    name: "pay_fine",
    kind: "write",
    description: "Take a payment towards a member's outstanding fines.",
    params: { member_id: str("The member id."), amount: param(Schema.Number, "Amount in dollars; at most the outstanding fines.") },
    run: (db, { member_id, amount }) => {
      const m = member(db, member_id)
      const value = num(amount)
      if (value <= 0) throw new ToolError("Amount must be positive")
      if (value > num(m.fines) + 1e-9) throw new ToolError("Amount exceeds outstanding fines")
      const left = Math.round((num(m.fines) - value) * 100) / 100
      db.set(["members", String(member_id), "fines"], float(left))
      return `Payment of ${value.toFixed(2)} accepted; outstanding fines ${left.toFixed(2)}`
    },
  }),
  tool({
    name: "unblock_card",
    kind: "write",
    description: "Reactivate a blocked library card. Only possible when no fines are outstanding.",
    params: { member_id: str("The member id.") },
    run: (db, { member_id }) => {
      const m = member(db, member_id)
      if (m.card_status === "active") throw new ToolError("Card is already active")
      if (num(m.fines) > 0) throw new ToolError("Outstanding fines must be paid first")
      db.set(["members", String(member_id), "card_status"], "active")
      return `Card of ${member_id} is active`
    },
  }),
  tool({
    name: "transfer_to_human_agents",
    kind: "generic",
    description: "Transfer the patron to a librarian when the request is outside the policy.",
    params: { summary: str("A summary of the patron's issue.") },
    run: () => "Transfer successful",
  }),
]

const app = (db: Draft): PyObject => db.get("app") as PyObject

const userTools: ToolDef[] = [
  tool({
    name: "check_app_status",
    kind: "read",
    description: "Show the library app's status on your phone.",
    params: {},
    run: (db) => {
      const a = app(db)
      return `Logged in: ${a.logged_in ? "yes" : "no"} | Card linked: ${a.card_linked ? "yes" : "no"} | Notifications: ${a.notifications ? "on" : "off"}`
    },
  }),
  tool({
    name: "log_in",
    kind: "write",
    description: "Log in to the library app with your saved credentials.",
    params: {},
    run: (db) => {
      if (app(db).logged_in) return "You are already logged in."
      db.set(["app", "logged_in"], true)
      return "Logged in."
    },
  }),
  tool({
    name: "scan_library_card",
    kind: "write",
    description: "Scan your physical library card with the phone camera to link it to the app.",
    params: {},
    run: (db) => {
      if (!app(db).logged_in) throw new ToolError("Log in first")
      db.set(["app", "card_linked"], true)
      return "Card linked."
    },
  }),
  tool({
    name: "toggle_notifications",
    kind: "write",
    description: "Turn due-date reminder notifications on or off.",
    params: {},
    run: (db) => {
      const on = !app(db).notifications
      db.set(["app", "notifications"], on)
      return `Notifications ${on ? "on" : "off"}.`
    },
  }),
]

/** Whether the database entry at `path` is `expected` (numbers compared by value: `0` and `0.0` are equal). */
const assertEquals = (value: PyValue | undefined, expected: PyValue | undefined): boolean =>
  value === expected || (value !== undefined && expected !== undefined && num(value as number) === num(expected as number))

export const demoAgentToolkit: ToolkitSpec = {
  className: "LibraryTools",
  tools: agentTools,
  initFunctions: {
    block_card: (db, { member_id }) => {
      member(db, member_id)
      db.set(["members", String(member_id), "card_status"], "blocked")
      return null
    },
    set_fines: (db, { member_id, amount }) => {
      member(db, member_id)
      db.set(["members", String(member_id), "fines"], float(num(amount)))
      return null
    },
    set_due_date: (db, { loan_id, due_date }) => {
      loan(db, loan_id)
      db.set(["loans", String(loan_id), "due_date"], String(due_date))
      return null
    },
  },
  assertions: {
    assert_card_status: (db, { member_id, expected_status }) => member(db, member_id).card_status === expected_status,
    assert_fines: (db, { member_id, expected_amount }) => assertEquals(member(db, member_id).fines, expected_amount),
    assert_loan_status: (db, { loan_id, expected_status }) => loan(db, loan_id).status === expected_status,
    assert_loan_due: (db, { loan_id, expected_due_date }) => loan(db, loan_id).due_date === expected_due_date,
  },
}

export const demoUserToolkit: ToolkitSpec = {
  className: "LibraryAppTools",
  tools: userTools,
  initFunctions: {
    log_out: (db) => {
      db.set(["app", "logged_in"], false)
      return null
    },
    unlink_card: (db) => {
      db.set(["app", "card_linked"], false)
      return null
    },
    set_app_state: (db, { logged_in, card_linked, notifications }) => {
      db.set(["app"], { logged_in: logged_in === true, card_linked: card_linked === true, notifications: notifications === true })
      return null
    },
  },
  assertions: {
    assert_card_linked: (db, { expected }) => app(db).card_linked === expected,
    assert_notifications: (db, { expected }) => app(db).notifications === expected,
  },
}
