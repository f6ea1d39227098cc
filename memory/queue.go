package memory

// queued is a lease's entry in its license's expiry queue, a binary min-heap
// on key. key is a lower bound of the lease's expiry, not the expiry itself:
// extending a lease writes only its table slot, and the queue learns of it
// when the stale key comes due (dropExpired) or reaches the top of the
// queue in a refusal (earliest). So a lease heartbeated every TTL/3 moves in
// its queue about once per TTL, not on every heartbeat, and a heartbeat's
// memory touches do not grow with the number of leases.
//
// Invariants: every lease in the table has exactly one entry, in the queue
// of the license its key names, at the position its queued field says; and
// key <= the lease's expiry. A lease is live iff its expiry > now, so once
// dropExpired has removed every entry whose key <= now, every remaining
// lease is live and every expired lease is gone: the queue's length is the
// exact live count.
type queued struct {
	key  int64
	slot int32 // where the lease is in the table
}

// push queues the lease at slot i under its expiry in its license's queue.
func (s *shard) push(c *license, i int) {
	s.slots[i].queued = int32(len(c.queue))
	c.queue = append(c.queue, queued{key: s.slots[i].expires, slot: int32(i)})
	s.up(c.queue, len(c.queue)-1)
}

// unqueue removes the queue entry of e from its license's queue.
func (s *shard) unqueue(c *license, e lease) {
	i, last := int(e.queued), len(c.queue)-1
	if i != last {
		c.queue[i] = c.queue[last]
		s.slots[c.queue[i].slot].queued = int32(i)
	}
	c.queue = c.queue[:last]
	if i != last && !s.down(c.queue, i) {
		s.up(c.queue, i)
	}
}

// requeue points the queue entry of the lease now at slot i to i.
func (s *shard) requeue(i int) {
	e := &s.slots[i]
	s.licenseOf(e.key).queue[e.queued].slot = int32(i)
}

// extend sets the expiry of the lease at slot i. A later expiry leaves the
// queue alone; only an earlier one than the lease's key, from a shorter
// TTL, must move the entry up.
func (s *shard) extend(i int, expires int64) {
	e := &s.slots[i]
	if expires < e.expires {
		q := s.licenseOf(e.key).queue
		if j := int(e.queued); expires < q[j].key {
			q[j].key = expires
			s.up(q, j)
		}
	}
	e.expires = expires
}

// dropExpired removes the license's leases expired at now. An entry whose
// key has come due but whose lease was extended goes back under its real
// expiry, so each lease moves at most once per extension that outlived its
// key.
func (s *shard) dropExpired(lic uint32, now int64) {
	c := s.lic(lic)
	for len(c.queue) > 0 && c.queue[0].key <= now {
		i := int(c.queue[0].slot)
		if expires := s.slots[i].expires; expires > now {
			c.queue[0].key = expires
			s.down(c.queue, 0)
		} else {
			s.remove(c, i)
		}
	}
}

// earliest returns the earliest expiry of the license's leases, which it
// must hold. The top entry's key is a lower bound of every expiry; once it
// equals its own lease's expiry, that expiry is the earliest.
func (s *shard) earliest(lic uint32) int64 {
	q := s.lic(lic).queue
	for {
		top := &q[0]
		expires := s.slots[top.slot].expires
		if top.key == expires {
			return expires
		}
		top.key = expires
		s.down(q, 0)
	}
}

func (s *shard) up(q []queued, j int) {
	for j > 0 {
		i := (j - 1) / 2
		if q[i].key <= q[j].key {
			break
		}
		s.swap(q, i, j)
		j = i
	}
}

// down moves the entry at i0 down to its place and reports whether it moved.
func (s *shard) down(q []queued, i0 int) bool {
	n := len(q)
	i := i0
	for {
		j := 2*i + 1
		if j >= n {
			break
		}
		if r := j + 1; r < n && q[r].key < q[j].key {
			j = r
		}
		if q[i].key <= q[j].key {
			break
		}
		s.swap(q, i, j)
		i = j
	}
	return i > i0
}

func (s *shard) swap(q []queued, i, j int) {
	q[i], q[j] = q[j], q[i]
	s.slots[q[i].slot].queued = int32(i)
	s.slots[q[j].slot].queued = int32(j)
}
