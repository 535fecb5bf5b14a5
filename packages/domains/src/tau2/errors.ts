/** A data file that does not have the expected shape: names the file, the place and what was expected. */
export class DataFileError extends Error {
  readonly file: string
  readonly at: string
  readonly expected: string
  constructor(file: string, at: string, expected: string, detail?: string) {
    super(`${file}: at ${at || "<root>"}: expected ${expected}${detail ? ` (${detail})` : ""}`)
    this.name = "DataFileError"
    this.file = file
    this.at = at
    this.expected = expected
  }
}
