/**
 * The built-in demo domain (ours, not τ² data): a library help desk with a patron's phone app.
 * Its database is generated deterministically, at any scale, so benchmarks can grow it to tens of
 * megabytes without shipping data files.
 */
import { createHash } from "node:crypto"
import { type Domain, float, PyJson, type PyObject, type PyValue, type Task } from "@tau-sim/engine"
import { Schema } from "effect"
import { demoAgentToolkit, demoUserToolkit } from "./tools.ts"
import { DEMO_TASKS } from "./tasks.ts"

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

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex")

let builtIn: Domain | undefined

/** Builds the demo domain; `members` scales the database (for benchmarks). */
export const makeDemoDomain = (members = 40): Domain => {
  const agent = demoDatabase(members)
  const user = demoUserDatabase()
  const tasks = DEMO_TASKS.map((t) => Schema.decodeUnknownSync(TaskSchema)(t) as Task)
  return {
    name: "demo",
    agentToolkit: demoAgentToolkit,
    userToolkit: demoUserToolkit,
    initialWorld: { agent, user },
    policy: { default: DEMO_POLICY },
    tasks,
    splits: { base: tasks.map((t) => t.id) },
    hashes: {
      data: sha256(PyJson.compact({ agent, user })),
      tasks: sha256(JSON.stringify(DEMO_TASKS)),
      policy: sha256(DEMO_POLICY),
    },
    supportsSolo: false,
  }
}

import { Task as TaskSchema } from "@tau-sim/engine"

/** The demo domain at its built-in size, built once per process. */
export const demoDomain = (): Domain => {
  builtIn ??= makeDemoDomain()
  return builtIn
}
