import { useId } from 'react'
import { Button } from '@/components/ui/button'
import { CopyButton } from '@/components/ui/copy-button'
import { Dialog } from '@/components/ui/dialog'

/**
 * KeyRevealDialog shows a license key the one time the server sends it. The
 * key lives only in the caller's state and is dropped on close.
 */
export function KeyRevealDialog({ licenseKey, licenseName, rotated = false, onClose }: { licenseKey: string | null; licenseName: string; rotated?: boolean; onClose: () => void }) {
  const id = useId()
  return (
    <Dialog
      open={licenseKey !== null}
      onClose={onClose}
      title={rotated ? 'New license key' : 'License created'}
      description={
        <>
          Copy the key of <strong>{licenseName}</strong> now and store it safely. It is shown only this once: the server keeps only a digest.
          {rotated && ' The old key no longer works.'}
        </>
      }
      footer={
        <Button variant="primary" onClick={onClose}>
          I have stored the key
        </Button>
      }
    >
      <label htmlFor={id} className="mb-1 block text-sm font-medium text-slate-700">
        License key
      </label>
      <div className="flex flex-col gap-2 sm:flex-row sm:items-center">
        <input
          id={id}
          readOnly
          value={licenseKey ?? ''}
          data-testid="license-key"
          onFocus={(e) => e.currentTarget.select()}
          className="block w-full rounded-md border-0 bg-slate-50 px-3 py-2 font-mono text-sm text-slate-900 ring-1 ring-inset ring-slate-300"
        />
        <CopyButton text={licenseKey ?? ''} label="Copy key" />
      </div>
    </Dialog>
  )
}
