/**
 * `node --import @tau-sim/domains/preload`: a process running a domain's own tests gets the SDK
 * the way `--domain <dir>` loading does (./host.ts), for the folder in `TAU_DOMAIN_DIR`.
 */
import { shareHostModules } from "./host.ts"

const dir = process.env.TAU_DOMAIN_DIR
if (dir) shareHostModules(dir)
