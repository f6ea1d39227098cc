import { useEffect, useState } from 'react'

/** useDebounced returns value once it has not changed for delayMs. */
export function useDebounced<T>(value: T, delayMs = 300): T {
  const [v, setV] = useState(value)
  useEffect(() => {
    const id = setTimeout(() => setV(value), delayMs)
    return () => clearTimeout(id)
  }, [value, delayMs])
  return v
}
