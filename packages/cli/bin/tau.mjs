// The `tau` executable's entry, run by bin/tau on the project's Node 24.
import module from "node:module"
import { dirname } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { chooseEntry } from "./entry.mjs"

// V8 keeps the compiled code on disk between runs (the OS temp dir): start-up halves again.
module.enableCompileCache?.()

await import(pathToFileURL(chooseEntry(dirname(dirname(fileURLToPath(import.meta.url))))).href)
