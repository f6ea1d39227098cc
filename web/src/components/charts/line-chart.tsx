import { useEffect, useMemo, useRef, useState, type RefObject } from 'react'
import { formatTime } from '@/lib/format'

/** Series is one line: points are (time in ms, value). */
export interface Series {
  name: string
  points: Array<{ t: number; v: number }>
}

// Colours of the lines, in order; the first is the total.
const palette = ['#4f46e5', '#0891b2', '#d97706', '#16a34a', '#db2777', '#7c3aed', '#dc2626', '#0d9488']

function niceMax(v: number): number {
  if (v <= 4) return 4
  const pow = 10 ** Math.floor(Math.log10(v))
  for (const m of [1, 2, 2.5, 5, 10]) if (m * pow >= v) return m * pow
  return 10 * pow
}

function useWidth(fallback: number): [RefObject<HTMLDivElement>, number] {
  const ref = useRef<HTMLDivElement>(null)
  const [width, setWidth] = useState(fallback)
  useEffect(() => {
    const node = ref.current
    if (!node || typeof ResizeObserver === 'undefined') return
    const ro = new ResizeObserver((entries) => {
      const w = entries[0]?.contentRect.width
      if (w && w > 0) setWidth(Math.floor(w))
    })
    ro.observe(node)
    return () => ro.disconnect()
  }, [])
  return [ref, width]
}

/**
 * LineChart draws series over time as SVG (no chart library: the CSP allows
 * no inline styles, and this needs only lines, axes and a legend).
 */
export function LineChart({ series, label, height = 220, unit = 'seats' }: { series: Series[]; label: string; height?: number; unit?: string }) {
  const [ref, width] = useWidth(640)
  const pad = { top: 12, right: 12, bottom: 28, left: 40 }
  const innerW = Math.max(10, width - pad.left - pad.right)
  const innerH = height - pad.top - pad.bottom

  const { tMin, tMax, vMax } = useMemo(() => {
    let tMin = Infinity
    let tMax = -Infinity
    let vMax = 0
    for (const s of series) {
      for (const p of s.points) {
        tMin = Math.min(tMin, p.t)
        tMax = Math.max(tMax, p.t)
        vMax = Math.max(vMax, p.v)
      }
    }
    if (!Number.isFinite(tMin)) {
      tMin = 0
      tMax = 3600_000
    }
    if (tMax === tMin) tMax = tMin + 60_000
    return { tMin, tMax, vMax: niceMax(vMax) }
  }, [series])

  const x = (t: number): number => pad.left + ((t - tMin) / (tMax - tMin)) * innerW
  const y = (v: number): number => pad.top + innerH - (v / vMax) * innerH
  const yTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => Math.round(f * vMax * 100) / 100)
  const xTickCount = width < 480 ? 3 : 6
  const xTicks = Array.from({ length: xTickCount }, (_, i) => tMin + ((tMax - tMin) * i) / (xTickCount - 1))
  const spanMs = tMax - tMin
  const tickLabel = (t: number): string =>
    spanMs > 2 * 86400_000 ? new Date(t).toLocaleDateString(undefined, { month: 'short', day: 'numeric' }) : formatTime(t).replace(/:\d\d(?=\s|$)/, '')

  const summary = series
    .map((s) => {
      const last = s.points[s.points.length - 1]
      const peak = s.points.reduce((m, p) => Math.max(m, p.v), 0)
      return `${s.name}: latest ${last ? last.v : 0}, peak ${peak} ${unit}`
    })
    .join('; ')

  return (
    <figure className="w-full">
      <div ref={ref} className="w-full">
        <svg width={width} height={height} role="img" aria-label={`${label}. ${summary}`} className="block">
          {yTicks.map((v) => (
            <g key={`y${v}`}>
              <line x1={pad.left} x2={pad.left + innerW} y1={y(v)} y2={y(v)} stroke="#e2e8f0" />
              <text x={pad.left - 6} y={y(v)} dy="0.32em" textAnchor="end" fontSize="11" fill="#64748b">
                {v}
              </text>
            </g>
          ))}
          {xTicks.map((t, i) => (
            <text key={`x${i}`} x={x(t)} y={height - 8} textAnchor={i === 0 ? 'start' : i === xTicks.length - 1 ? 'end' : 'middle'} fontSize="11" fill="#64748b">
              {tickLabel(t)}
            </text>
          ))}
          {series.map((s, i) => {
            if (s.points.length === 0) return null
            const d = s.points.map((p, j) => `${j === 0 ? 'M' : 'L'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ')
            return <path key={s.name} d={d} fill="none" stroke={palette[i % palette.length]} strokeWidth={i === 0 ? 2.5 : 1.5} strokeLinejoin="round" />
          })}
        </svg>
      </div>
      <figcaption className="mt-2 flex flex-wrap gap-x-4 gap-y-1 text-xs text-slate-700">
        {series.map((s, i) => (
          <span key={s.name} className="inline-flex items-center gap-1.5">
            <svg width="12" height="12" aria-hidden="true">
              <rect width="12" height="12" rx="2" fill={palette[i % palette.length]} />
            </svg>
            {s.name}
          </span>
        ))}
      </figcaption>
    </figure>
  )
}
