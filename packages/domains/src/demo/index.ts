/**
 * The built-in demo domain (ours, not τ² data): a library help desk with a patron's phone app.
 * Its database is generated deterministically, at any scale, so benchmarks can grow it to tens of
 * megabytes without shipping data files.
 */
import { type Domain, defineDomain, float, type PyObject, type PyValue, Schema } from "@tau-sim/engine/sdk"
import { demoSubtasks } from "./subtasks.ts"
import { DEMO_TASKS } from "./tasks.ts"
import { demoAgentToolkit, demoUserToolkit } from "./tools.ts"

export const DEMO_POLICY = `# Library help desk policy

You are the help desk of the City Library. Today is 2025-03-10.

- Identify the patron first: ask for their email and look up their member id with find_member_by_email.
- Patrons may borrow at most 5 books at a time, for 21 days. A blocked card cannot borrow.
- A loan can be renewed at most twice, 14 days each time.
- A card is blocked while fines are outstanding. Take payment for the whole fine only after the patron agrees,
  then unblock the card.
- The patron's phone app is on their side: you cannot operate it. Tell the patron what to do in the app
  (log in, scan the library card, turn reminders on or off) and wait for them to confirm.
- Requests to waive fines or to change membership data go to a librarian: transfer the patron.
- Make one tool call at a time, and tell the patron the outcome.
`

const SURNAMES = ["Garcia", "Okafor", "Nguyen", "Schmidt", "Rossi", "Kowalski", "Haddad", "Tanaka", "Silva", "Larsen"]
const GIVEN = ["Ana", "Ben", "Chidi", "Dana", "Eli", "Farah", "Gus", "Hana", "Ivan", "Jade"]
const TITLES = ["River", "Stone", "Night", "Garden", "Harbor", "Winter", "Lantern", "Echo", "Meadow", "Signal"]

const pad = (n: number) => String(n).padStart(3, "0")

/** The library database with `members` members (the built-in demo uses 40). */
export const demoDatabase = (members = 40): PyObject => {
  const books: Record<string, PyValue> = {}
  const bookCount = Math.max(20, Math.floor(members / 2))
  for (let i = 1; i <= bookCount; i++) {
    books[`B${pad(i)}`] = {
      book_id: `B${pad(i)}`,
      title: `The ${TITLES[i % 10]} of ${TITLES[(i * 7) % 10]} ${i}`,
      author: `${GIVEN[(i * 3) % 10]} ${SURNAMES[(i * 5) % 10]}`,
      copies_available: i % 4,
    }
  }
  const memberRows: Record<string, PyValue> = {}
  const loans: Record<string, PyValue> = {}
  let loanNo = 0
  for (let i = 1; i <= members; i++) {
    const id = `M${pad(i)}`
    const blocked = i % 5 === 0
    const memberLoans: string[] = []
    for (let k = 0; k < i % 3; k++) {
      loanNo++
      const loanId = `L${pad(loanNo)}`
      memberLoans.push(loanId)
      loans[loanId] = {
        loan_id: loanId,
        member_id: id,
        book_id: `B${pad(((i + k) % bookCount) + 1)}`,
        due_date: `2025-03-${String(5 + ((i + k) % 20)).padStart(2, "0")}`,
        renewals: (i + k) % 3,
        status: "active",
      }
    }
    const name = `${GIVEN[i % 10]} ${SURNAMES[(i * 3) % 10]}`
    memberRows[id] = {
      member_id: id,
      name,
      email: `${name.toLowerCase().replace(" ", ".")}${i}@example.org`,
      card_status: blocked ? "blocked" : "active",
      fines: float(blocked ? 4.5 + (i % 7) : 0),
      loans: memberLoans,
    }
  }
  return { members: memberRows, books, loans }
}

export const demoUserDatabase = (): PyObject => ({ app: { logged_in: false, card_linked: false, notifications: false } })

/** The library database's model: what `demoDatabase` produces and tools keep. */
const Member = Schema.Struct({
  member_id: Schema.String,
  name: Schema.String,
  email: Schema.String,
  card_status: Schema.Literals(["active", "blocked"]),
  fines: Schema.Number,
  loans: Schema.Array(Schema.String),
})
const Book = Schema.Struct({ book_id: Schema.String, title: Schema.String, author: Schema.String, copies_available: Schema.Int })
const Loan = Schema.Struct({
  loan_id: Schema.String,
  member_id: Schema.String,
  book_id: Schema.String,
  due_date: Schema.String,
  renewals: Schema.Int,
  status: Schema.Literals(["active", "returned"]),
})
export const LibraryDb = Schema.Struct({
  members: Schema.Record(Schema.String, Member),
  books: Schema.Record(Schema.String, Book),
  loans: Schema.Record(Schema.String, Loan),
})
export const LibraryApp = Schema.Struct({ app: Schema.Struct({ logged_in: Schema.Boolean, card_linked: Schema.Boolean, notifications: Schema.Boolean }) })

let builtIn: Domain | undefined

/** Builds the demo domain; `members` scales the database (for benchmarks). */
export const makeDemoDomain = (members = 40): Domain =>
  defineDomain({
    name: "demo",
    policy: DEMO_POLICY,
    // The schema is checked at the built-in size only: a benchmark's database of tens of megabytes would pay for it on every build.
    database: { ...(members === 40 ? { schema: LibraryDb } : {}), data: demoDatabase(members) },
    userDatabase: { schema: LibraryApp, data: demoUserDatabase() },
    agentTools: demoAgentToolkit,
    userTools: demoUserToolkit,
    tasks: DEMO_TASKS,
    subtasks: demoSubtasks,
  })

/** The demo domain at its built-in size, built once per process. */
export const demoDomain = (): Domain => {
  builtIn ??= makeDemoDomain()
  return builtIn
}
