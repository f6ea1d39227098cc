import { screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { renderApp } from '@/testing/render'
import { ADMIN_EMAIL, ADMIN_PASSWORD } from '@/testing/server'
import { useAuth } from '@/stores/auth'

describe('sign-in page', () => {
  it('sends a signed-out visitor to the sign-in page', async () => {
    renderApp('/licenses')
    expect(await screen.findByRole('heading', { name: 'Sign in to CODITECT Licenses' })).toBeInTheDocument()
  })

  it('asks for both fields before sending', async () => {
    const { user } = renderApp('/login')
    await user.click(await screen.findByRole('button', { name: 'Sign in' }))
    expect(screen.getByText('Enter your email address.')).toBeInTheDocument()
    expect(screen.getByText('Enter your password.')).toBeInTheDocument()
  })

  it('shows the server error for a wrong password', async () => {
    const { user } = renderApp('/login')
    await user.type(await screen.findByLabelText('Email'), ADMIN_EMAIL)
    await user.type(screen.getByLabelText('Password'), 'wrong password!')
    await user.click(screen.getByRole('button', { name: 'Sign in' }))
    expect(await screen.findByRole('alert')).toHaveTextContent('The email or password is wrong.')
    expect(useAuth.getState().status).toBe('anonymous')
  })

  it('signs in and goes back where the user was headed', async () => {
    const { user, router } = renderApp('/login?next=%2Flicenses')
    await user.type(await screen.findByLabelText('Email'), ADMIN_EMAIL)
    await user.type(screen.getByLabelText('Password'), ADMIN_PASSWORD)
    await user.click(screen.getByRole('button', { name: 'Sign in' }))
    expect(await screen.findByRole('heading', { name: 'Licenses', level: 1 })).toBeInTheDocument()
    expect(router.state.location.pathname).toBe('/licenses')
    expect(useAuth.getState().user?.email).toBe(ADMIN_EMAIL)
  })

  it('never follows a next link to another site', async () => {
    const { user, router } = renderApp('/login?next=%2F%2Fevil.example.com')
    await user.type(await screen.findByLabelText('Email'), ADMIN_EMAIL)
    await user.type(screen.getByLabelText('Password'), ADMIN_PASSWORD)
    await user.click(screen.getByRole('button', { name: 'Sign in' }))
    await screen.findByRole('heading', { name: 'Dashboard', level: 1 })
    expect(router.state.location.pathname).toBe('/')
  })
})
