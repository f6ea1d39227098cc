// What the server offers, read from its own OpenAPI document
// (GET /api/v1/openapi.json, which a server test keeps equal to its router).
// The UI asks before calling a route that not every server has yet, so a
// missing route becomes an empty state without a failed request.
import { useQuery } from '@tanstack/react-query'
import axios from 'axios'
import { ApiError } from './problem'

/** Capabilities answers whether the server serves a method and path. */
export interface Capabilities {
  /** False when the document could not be read: then every route is assumed. */
  known: boolean
  has: (method: string, path: string) => boolean
}

// Path parameters are compared by position, not by name.
function shape(path: string): string {
  return path.replace(/\{[^}]*\}/g, '{}')
}

/** capabilitiesFrom reads the paths of an OpenAPI document. */
export function capabilitiesFrom(doc: unknown): Capabilities {
  const paths = (doc as { paths?: unknown } | null)?.paths
  if (typeof paths !== 'object' || paths === null) return { known: false, has: () => true }
  const ops = new Set<string>()
  for (const [p, item] of Object.entries(paths as Record<string, unknown>)) {
    if (typeof item !== 'object' || item === null) continue
    for (const m of Object.keys(item)) ops.add(`${m.toUpperCase()} ${shape(p)}`)
  }
  return { known: true, has: (method, path) => ops.has(`${method.toUpperCase()} ${shape(path)}`) }
}

let cached: Promise<Capabilities> | null = null

/** capabilities fetches the document once per page load. */
export function capabilities(): Promise<Capabilities> {
  if (!cached) {
    cached = axios
      .get<unknown>('/api/v1/openapi.json', { timeout: 10000, headers: { Accept: 'application/json' } })
      .then((res) => capabilitiesFrom(res.data))
      .catch(() => {
        cached = null
        return { known: false, has: () => true }
      })
  }
  return cached
}

/** resetCapabilities forgets the cached document (tests). */
export function resetCapabilities(): void {
  cached = null
}

/** NOT_OFFERED is the code of a route the server does not offer. */
export const NOT_OFFERED = 'not_offered'

/**
 * requireRoute throws a "missing route" ApiError, without a request, when
 * the server's document lacks the route.
 */
export async function requireRoute(method: string, path: string): Promise<void> {
  const c = await capabilities()
  if (c.known && !c.has(method, path)) {
    throw new ApiError({ status: 404, code: NOT_OFFERED, message: `This server does not offer ${method} ${path} yet.` })
  }
}

/** useCapabilities is the document, for components that hide actions. */
export function useCapabilities(): Capabilities {
  const q = useQuery({ queryKey: ['capabilities'], queryFn: capabilities, staleTime: Infinity })
  return q.data ?? { known: false, has: () => true }
}
