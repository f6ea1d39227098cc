import { screen, waitFor, within } from '@testing-library/react'
import { http, HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import { renderApp, signInAs } from '@/testing/render'
import { server } from '@/testing/server'

describe('audit log', () => {
  it('says when the server keeps no audit log', async () => {
    signInAs()
    renderApp('/audit')
    expect(await screen.findByText('No audit log on this server')).toBeInTheDocument()
  })

  it('lists events and passes the filters to the server', async () => {
    signInAs()
    const seen: string[] = []
    server.use(
      http.get('*/api/v1/audit-events', ({ request }) => {
        seen.push(new URL(request.url).searchParams.get('action') ?? '')
        return HttpResponse.json({
          data: [
            { id: 'e1', created_at: new Date().toISOString(), actor_type: 'user', actor_id: 'u1', action: 'license.create', target_type: 'license', target_id: 'lic-1', ip: '10.1.2.3', after: { seats: 5 } },
          ],
          next_cursor: null,
        })
      }),
    )
    const { user } = renderApp('/audit')
    const row = (await screen.findByText('license.create')).closest('tr') as HTMLElement
    expect(within(row).getByText('10.1.2.3')).toBeInTheDocument()
    await user.click(within(row).getByText('Show changes'))
    expect(within(row).getByText(/"seats": 5/)).toBeInTheDocument()
    await user.type(screen.getByLabelText('Action'), 'license.delete')
    await waitFor(() => expect(seen).toContain('license.delete'))
  })
})
