/**
 * A small retail database for unit tests: two products (with integer-like ids, so JS would reorder
 * them), two users, and orders in each interesting status. Written as JSON text so that floats stay
 * floats and the file order of keys is known, exactly as when `db.json` is loaded.
 */
import { type Domain, executeToolCall, type Node, type PyObject, type PyValue, type ToolOutcome } from "@tau-sim/engine"
import { RetailDB } from "../../src/tau2/retail/models.ts"
import { retailToolkit } from "../../src/tau2/retail/tools.ts"
import { decodeJsonModel } from "../../src/tau2/validate.ts"

export const SMALL_DB_TEXT = `{
  "products": {
    "9000000001": {
      "name": "T-Shirt", "product_id": "9000000001",
      "variants": {
        "3000000003": {"item_id": "3000000003", "options": {"color": "blue", "size": "M"}, "available": true, "price": 10.3},
        "1000000001": {"item_id": "1000000001", "options": {"color": "red", "size": "M"}, "available": true, "price": 10.1},
        "2000000002": {"item_id": "2000000002", "options": {"color": "red", "size": "L"}, "available": false, "price": 12.0},
        "4000000004": {"item_id": "4000000004", "options": {"color": "green", "size": "S"}, "available": true, "price": 20.0},
        "7000000007": {"item_id": "7000000007", "options": {"color": "white", "size": "M"}, "available": true, "price": 8.5}
      }
    },
    "1000000000": {
      "name": "Mug", "product_id": "1000000000",
      "variants": {
        "5000000005": {"item_id": "5000000005", "options": {"capacity": "300ml"}, "available": true, "price": 5},
        "6000000006": {"item_id": "6000000006", "options": {"capacity": "500ml"}, "available": true, "price": 7.25}
      }
    }
  },
  "users": {
    "ann_lee_1": {
      "user_id": "ann_lee_1", "name": {"first_name": "Ann", "last_name": "Lee"},
      "address": {"address1": "1 Main St", "address2": "", "city": "Austin", "country": "USA", "state": "TX", "zip": "78701"},
      "email": "Ann.Lee@example.com",
      "payment_methods": {
        "gift_card_1": {"source": "gift_card", "id": "gift_card_1", "balance": 5.0},
        "credit_card_1": {"source": "credit_card", "id": "credit_card_1", "brand": "visa", "last_four": "1234"},
        "paypal_1": {"source": "paypal", "id": "paypal_1"}
      },
      "orders": ["#W1", "#W2", "#W3", "#W4"]
    },
    "bob_ray_2": {
      "user_id": "bob_ray_2", "name": {"first_name": "Bob", "last_name": "Ray"},
      "address": {"address1": "2 Oak St", "address2": "Apt 2", "city": "Boston", "country": "USA", "state": "MA", "zip": "02101"},
      "email": "bob@example.com",
      "payment_methods": {"gift_card_2": {"source": "gift_card", "id": "gift_card_2", "balance": 0.1}},
      "orders": []
    }
  },
  "orders": {
    "#W1": {
      "order_id": "#W1", "user_id": "ann_lee_1",
      "address": {"address1": "1 Main St", "address2": "", "city": "Austin", "country": "USA", "state": "TX", "zip": "78701"},
      "items": [
        {"name": "T-Shirt", "product_id": "9000000001", "item_id": "1000000001", "price": 10.1, "options": {"color": "red", "size": "M"}},
        {"name": "Mug", "product_id": "1000000000", "item_id": "5000000005", "price": 5.0, "options": {"capacity": "300ml"}}
      ],
      "status": "pending", "fulfillments": [],
      "payment_history": [{"transaction_type": "payment", "amount": 15.1, "payment_method_id": "gift_card_1"}]
    },
    "#W2": {
      "order_id": "#W2", "user_id": "ann_lee_1",
      "address": {"address1": "1 Main St", "address2": "", "city": "Austin", "country": "USA", "state": "TX", "zip": "78701"},
      "items": [
        {"name": "T-Shirt", "product_id": "9000000001", "item_id": "1000000001", "price": 10.1, "options": {"color": "red", "size": "M"}},
        {"name": "T-Shirt", "product_id": "9000000001", "item_id": "1000000001", "price": 10.1, "options": {"color": "red", "size": "M"}}
      ],
      "status": "delivered", "fulfillments": [{"tracking_id": ["111"], "item_ids": ["1000000001", "1000000001"]}],
      "payment_history": [{"transaction_type": "payment", "amount": 20.2, "payment_method_id": "credit_card_1"}]
    },
    "#W3": {
      "order_id": "#W3", "user_id": "ann_lee_1",
      "address": {"address1": "1 Main St", "address2": "", "city": "Austin", "country": "USA", "state": "TX", "zip": "78701"},
      "items": [{"name": "Mug", "product_id": "1000000000", "item_id": "5000000005", "price": 5.0, "options": {"capacity": "300ml"}}],
      "status": "pending (item modified)", "fulfillments": [],
      "payment_history": [{"transaction_type": "payment", "amount": 5.0, "payment_method_id": "paypal_1"}]
    },
    "#W4": {
      "order_id": "#W4", "user_id": "ann_lee_1",
      "address": {"address1": "1 Main St", "address2": "", "city": "Austin", "country": "USA", "state": "TX", "zip": "78701"},
      "items": [{"name": "Mug", "product_id": "1000000000", "item_id": "5000000005", "price": 5.0, "options": {"capacity": "300ml"}}],
      "status": "pending", "fulfillments": [],
      "payment_history": [
        {"transaction_type": "payment", "amount": 3.0, "payment_method_id": "gift_card_1"},
        {"transaction_type": "payment", "amount": 2.0, "payment_method_id": "gift_card_1"}
      ]
    }
  }
}`

export const smallDb = (): PyObject => decodeJsonModel("small-db.json", SMALL_DB_TEXT, RetailDB, { keyOrder: true })

export const smallDomain = (): Domain => ({
  name: "retail",
  agentToolkit: retailToolkit,
  initialWorld: { agent: smallDb() },
  policy: { default: "" },
  tasks: [],
  splits: {},
  hashes: { data: "", tasks: "", policy: "" },
  supportsSolo: false,
})

/** Runs one assistant tool call (with sync, like a live run). */
export const call = (domain: Domain, world: Node, name: string, args: Record<string, PyValue>): ToolOutcome =>
  executeToolCall(domain, world, { id: "call_0", name, arguments: args, requestor: "assistant" }, { random: () => 0 })
