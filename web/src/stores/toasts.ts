import { create } from 'zustand'

export interface Toast {
  id: number
  kind: 'success' | 'error'
  message: string
}

interface ToastState {
  toasts: Toast[]
  push: (kind: Toast['kind'], message: string) => void
  dismiss: (id: number) => void
}

let next = 1

/** useToasts holds short confirmations ("License suspended") and failures. */
export const useToasts = create<ToastState>()((set, get) => ({
  toasts: [],
  push: (kind, message) => {
    const id = next++
    set({ toasts: [...get().toasts, { id, kind, message }].slice(-4) })
    setTimeout(() => get().dismiss(id), kind === 'error' ? 8000 : 4000)
  },
  dismiss: (id) => set({ toasts: get().toasts.filter((t) => t.id !== id) }),
}))

/** notify pushes a toast from outside React. */
export const notify = {
  success: (message: string) => useToasts.getState().push('success', message),
  error: (message: string) => useToasts.getState().push('error', message),
}
