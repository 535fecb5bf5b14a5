/** Python-faithful JSON values for the PyJson property tests, built from the leaves each test needs. */
import fc from "fast-check"
import { PyFloat, type PyValue } from "../../src/index.ts"

export interface PyValueLeaves {
  readonly strings?: fc.Arbitrary<string>
  readonly keys?: fc.Arbitrary<string>
  readonly floats?: fc.Arbitrary<number>
  /** Most members of an array or object. */
  readonly width?: number
}

export const pyValueArb = ({ strings = fc.string(), keys = fc.string(), floats = fc.double(), width = 5 }: PyValueLeaves = {}): fc.Arbitrary<PyValue> =>
  fc.letrec<{ value: PyValue }>((tie) => ({
    value: fc.oneof(
      { depthSize: "small" },
      fc.constant(null),
      fc.boolean(),
      fc.integer(),
      floats.map((x) => new PyFloat(x)),
      strings,
      fc.array(tie("value"), { maxLength: width }),
      fc.dictionary(keys, tie("value"), { maxKeys: width }),
    ),
  })).value
