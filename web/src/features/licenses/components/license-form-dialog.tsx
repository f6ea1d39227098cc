import { useEffect, useState, type FormEvent } from 'react'
import { Button } from '@/components/ui/button'
import { Dialog } from '@/components/ui/dialog'
import { TextField } from '@/components/ui/field'
import { InlineError } from '@/components/ui/states'
import { toApiError } from '@/lib/problem'
import type { CreatedLicense, License } from '@/types/contract'
import { useCreateLicense } from '../api/create-license'
import { useUpdateLicense } from '../api/update-license'
import {
  changedFields,
  emptyLicenseForm,
  formFromLicense,
  LIMITS,
  validateLicenseForm,
  type LicenseFormErrors,
  type LicenseFormValues,
} from '../utils/validation'

/**
 * LicenseFormDialog creates a license (license undefined) or edits one.
 * Fields are checked with the server's rules before sending; a refusal from
 * the server is shown above the buttons.
 */
export function LicenseFormDialog({
  open,
  license,
  onClose,
  onCreated,
}: {
  open: boolean
  license?: License
  onClose: () => void
  onCreated?: (l: CreatedLicense) => void
}) {
  const [values, setValues] = useState<LicenseFormValues>(emptyLicenseForm)
  const [errors, setErrors] = useState<LicenseFormErrors>({})
  const create = useCreateLicense()
  const update = useUpdateLicense()
  const mutation = license ? update : create
  const [serverError, setServerError] = useState<unknown>(null)

  useEffect(() => {
    if (open) {
      setValues(license ? formFromLicense(license) : emptyLicenseForm)
      setErrors({})
      setServerError(null)
    }
  }, [open, license])

  const set = (k: keyof LicenseFormValues) => (e: { target: { value: string } }) => setValues((v) => ({ ...v, [k]: e.target.value }))

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault()
    const { errors: errs, body } = validateLicenseForm(values)
    setErrors(errs)
    if (!body) return
    setServerError(null)
    try {
      if (license) {
        const changes = changedFields(license, body)
        if (Object.keys(changes).length > 0) await update.mutateAsync({ id: license.id, body: changes })
        onClose()
      } else {
        const created = await create.mutateAsync(body)
        onCreated?.(created)
      }
    } catch (err) {
      const ae = toApiError(err)
      setServerError(ae.code === 'method_not_allowed' ? new Error('This server does not support editing licenses yet.') : ae)
    }
  }

  const ttlHint = `${LIMITS.ttlMin} to ${LIMITS.ttlMax.toLocaleString('en-US')} s; empty = ${LIMITS.ttlDefault} s.`
  return (
    <Dialog open={open} onClose={onClose} title={license ? `Edit ${license.name}` : 'New license'} size="lg">
      <form noValidate onSubmit={(e) => void submit(e)} className="grid gap-4 sm:grid-cols-2">
        <TextField label="Name" value={values.name} onChange={set('name')} error={errors.name} required maxLength={LIMITS.nameMax} className="sm:col-span-2" data-autofocus autoComplete="off" />
        <TextField label="Seats" inputMode="numeric" value={values.seats} onChange={set('seats')} error={errors.seats} required hint="How many copies may run at once (1 to 1,000,000)." />
        <TextField label="Expires" type="datetime-local" value={values.expiresAt} onChange={set('expiresAt')} error={errors.expiresAt} hint="Leave empty for a license that never expires." />
        <TextField label="Features" value={values.features} onChange={set('features')} error={errors.features} hint="Comma-separated, e.g. export, render." className="sm:col-span-2" autoComplete="off" />
        <TextField label="Lease TTL (seconds)" inputMode="numeric" value={values.leaseTtl} onChange={set('leaseTtl')} error={errors.leaseTtl} hint={ttlHint} placeholder={String(LIMITS.ttlDefault)} />
        <TextField label="Heartbeat interval (seconds)" inputMode="numeric" value={values.heartbeat} onChange={set('heartbeat')} error={errors.heartbeat} hint="Less than the lease TTL; empty = TTL / 3." />
        <TextField label="Offline grace (seconds)" inputMode="numeric" value={values.offlineGrace} onChange={set('offlineGrace')} error={errors.offlineGrace} hint="How long a license token works offline; empty = 86,400 s (1 day)." placeholder={String(LIMITS.graceDefault)} />
        <div className="sm:col-span-2">
          <InlineError error={serverError} />
        </div>
        <div className="flex flex-wrap justify-end gap-2 sm:col-span-2">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" loading={mutation.isPending}>
            {license ? 'Save changes' : 'Create license'}
          </Button>
        </div>
      </form>
    </Dialog>
  )
}
