import { Link } from 'react-router-dom'
import { Card } from '@/components/ui/card'
import { EmptyState } from '@/components/ui/states'

export function NotFoundRoute() {
  return (
    <Card>
      <EmptyState title="Page not found" action={<Link to="/" className="text-sm font-medium text-indigo-700 hover:underline">Go to the dashboard</Link>}>
        The address does not match any page.
      </EmptyState>
    </Card>
  )
}
