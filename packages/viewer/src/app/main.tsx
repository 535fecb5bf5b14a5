/** The viewer's page: one route per view, every view a deep link. */
import { render } from "preact"
import { ComparePage } from "./compare.tsx"
import { EpisodePage } from "./episode.tsx"
import { EpisodesPage } from "./episodes.tsx"
import { Link } from "./link.tsx"
import { dropTokenFromUrl, useLocation } from "./router.ts"
import { RunPage, RunsPage } from "./runs.tsx"
import "./style.css"

const Page = () => {
  const { path } = useLocation()
  const run = /^\/runs\/([^/]+)$/.exec(path)
  const episode = /^\/episodes\/([^/]+)$/.exec(path)
  if (run) return <RunPage key={run[1]} id={decodeURIComponent(run[1])} />
  if (episode) return <EpisodePage key={episode[1]} id={decodeURIComponent(episode[1])} />
  if (path === "/episodes") return <EpisodesPage />
  if (path === "/compare") return <ComparePage />
  return <RunsPage />
}

const App = () => (
  <>
    <header class="top">
      <Link href="/" class="brand">
        tau view
      </Link>
      <Link href="/">runs</Link>
      <Link href="/episodes">episodes</Link>
    </header>
    <main>
      <Page />
    </main>
  </>
)

dropTokenFromUrl()
const root = document.getElementById("app")
if (root) render(<App />, root)
