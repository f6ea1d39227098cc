package httpapi

import (
	"cmp"
	"net/http"
	"slices"
	"time"

	coditect "github.com/coditect/coditect-license"
)

// Bounds of the statistics routes.
const (
	// nearLimitPercent is how full a license must be to be near its limit.
	nearLimitPercent = 80
	// expiringWithin is how soon a license must expire to be listed.
	expiringWithin = 30 * 24 * time.Hour
	// maxStatsList caps the near_limit and expiring_soon lists.
	maxStatsList = 100
	// maxUsageRange is the longest range a usage series may cover.
	maxUsageRange = 400 * 24 * time.Hour
	// maxUsagePoints caps a series: seven days of minutes.
	maxUsagePoints = 7 * 24 * 60
	// licensePage is the page size the overview reads licenses in.
	licensePage = 500
)

type overviewResponse struct {
	Licenses     int                `json:"licenses"`
	Seats        int                `json:"seats"`
	SeatsInUse   int                `json:"seats_in_use"`
	Utilization  float64            `json:"utilization"`
	Denials24h   int                `json:"denials_24h"`
	NearLimit    []nearLimitLicense `json:"near_limit"`
	ExpiringSoon []expiringLicense  `json:"expiring_soon"`
}

type nearLimitLicense struct {
	LicenseID  string `json:"license_id"`
	Name       string `json:"name"`
	Seats      int    `json:"seats"`
	SeatsInUse int    `json:"seats_in_use"`
}

type expiringLicense struct {
	LicenseID string    `json:"license_id"`
	Name      string    `json:"name"`
	ExpiresAt time.Time `json:"expires_at"`
}

// statsOverview sums up the tenant's licenses: seats and live seats in
// use (from the ledger) of the licenses that hand out seats now, denials
// of the last 24 hours (from the usage history), the fullest licenses and
// those about to expire.
func (s *Server) statsOverview(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(w, r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	now := s.Now().UTC()
	out := overviewResponse{NearLimit: []nearLimitLicense{}, ExpiringSoon: []expiringLicense{}}
	for after := ""; ; {
		ls, err := s.Store.ListLicenses(ctx, p.TenantID, coditect.LicenseFilter{After: after, Limit: licensePage})
		if err != nil {
			return err
		}
		for _, l := range ls {
			out.Licenses++
			if l.Usable(now) != nil {
				continue // suspended or expired: no seats to hand out
			}
			inUse, err := s.Seats.SeatsInUse(ctx, l.TenantID, l.ID)
			if err != nil {
				return err
			}
			out.Seats += l.Seats
			out.SeatsInUse += inUse
			if inUse*100 >= l.Seats*nearLimitPercent {
				out.NearLimit = append(out.NearLimit, nearLimitLicense{LicenseID: l.ID, Name: l.Name, Seats: l.Seats, SeatsInUse: inUse})
			}
			if l.ExpiresAt != nil && l.ExpiresAt.Sub(now) <= expiringWithin {
				out.ExpiringSoon = append(out.ExpiringSoon, expiringLicense{LicenseID: l.ID, Name: l.Name, ExpiresAt: l.ExpiresAt.UTC()})
			}
		}
		if len(ls) < licensePage {
			break
		}
		after = ls[len(ls)-1].ID
	}
	if out.Seats > 0 {
		out.Utilization = float64(out.SeatsInUse) / float64(out.Seats)
	}
	// Fullest first; soonest first.
	slices.SortStableFunc(out.NearLimit, func(a, b nearLimitLicense) int {
		return cmp.Or(cmp.Compare(b.SeatsInUse*a.Seats, a.SeatsInUse*b.Seats), cmp.Compare(a.Name, b.Name))
	})
	slices.SortStableFunc(out.ExpiringSoon, func(a, b expiringLicense) int {
		return cmp.Or(a.ExpiresAt.Compare(b.ExpiresAt), cmp.Compare(a.Name, b.Name))
	})
	out.NearLimit = out.NearLimit[:min(len(out.NearLimit), maxStatsList)]
	out.ExpiringSoon = out.ExpiringSoon[:min(len(out.ExpiringSoon), maxStatsList)]

	// Every bucket that starts in the last 24 hours, the current minute's
	// included, merged into at most two days per license.
	to := coditect.UsageMinute.Truncate(now).Add(time.Minute)
	buckets, err := s.Store.ListUsage(ctx, p.TenantID, "", coditect.UsageDay, to.Add(-24*time.Hour), to)
	if err != nil {
		return err
	}
	for _, b := range buckets {
		out.Denials24h += b.Denials
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type usagePoint struct {
	Start            time.Time `json:"start"`
	PeakInUse        int       `json:"peak_in_use"`
	Acquires         int       `json:"acquires"`
	Denials          int       `json:"denials"`
	DistinctUsers    int       `json:"distinct_users"`
	DistinctMachines int       `json:"distinct_machines"`
}

type usageResponse struct {
	Data []usagePoint `json:"data"`
	Step string       `json:"step"`
	From time.Time    `json:"from"`
	To   time.Time    `json:"to"`
}

// statsUsage answers a usage time series of one license or of all the
// tenant's licenses, one point per step from from (rounded down to the
// step) to to, zeros where nothing was recorded.
func (s *Server) statsUsage(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(w, r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	to := s.Now().UTC()
	if v := q.Get("to"); v != "" {
		if to, err = time.Parse(time.RFC3339, v); err != nil {
			return coditect.Errorf(coditect.CodeInvalidRequest, "to must be an RFC 3339 time.")
		}
	}
	from := to.Add(-24 * time.Hour)
	if v := q.Get("from"); v != "" {
		if from, err = time.Parse(time.RFC3339, v); err != nil {
			return coditect.Errorf(coditect.CodeInvalidRequest, "from must be an RFC 3339 time.")
		}
	}
	from, to = from.UTC(), to.UTC()
	if !from.Before(to) {
		return coditect.Errorf(coditect.CodeInvalidRequest, "from must be before to.")
	}
	if to.Sub(from) > maxUsageRange {
		return coditect.Errorf(coditect.CodeInvalidRequest, "from and to may be at most 400 days apart.")
	}
	step := coditect.UsageResolution(q.Get("step"))
	switch {
	case step == "":
		step = defaultStep(to.Sub(from))
	case !step.Valid():
		return coditect.Errorf(coditect.CodeInvalidRequest, "step must be minute, hour or day.")
	}
	start := step.Truncate(from)
	points := int((to.Sub(start) + step.Duration() - 1) / step.Duration())
	if points > maxUsagePoints {
		return coditect.Errorf(coditect.CodeInvalidRequest,
			"step=%s over this range makes %d points, more than %d: choose a coarser step or a shorter range.", step, points, maxUsagePoints)
	}
	licenseID := q.Get("license_id")
	if licenseID != "" {
		if _, err := s.Store.GetLicense(r.Context(), p.TenantID, licenseID); err != nil {
			return err
		}
	}
	buckets, err := s.Store.ListUsage(r.Context(), p.TenantID, licenseID, step, start, to)
	if err != nil {
		return err
	}
	out := usageResponse{Data: make([]usagePoint, points), Step: string(step), From: start, To: to}
	for i := range out.Data {
		out.Data[i].Start = start.Add(time.Duration(i) * step.Duration())
	}
	// Across licenses every count adds up: the peak is then the most seats
	// the licenses could have had in use at once, and a user of two
	// licenses counts twice.
	for _, b := range buckets {
		i := int(b.Start.Sub(start) / step.Duration())
		if i < 0 || i >= len(out.Data) {
			continue
		}
		d := &out.Data[i]
		d.PeakInUse += b.PeakInUse
		d.Acquires += b.Acquires
		d.Denials += b.Denials
		d.DistinctUsers += b.DistinctUsers
		d.DistinctMachines += b.DistinctMachines
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// defaultStep picks the step of a range: minutes up to a day, hours up to
// a month, days beyond.
func defaultStep(d time.Duration) coditect.UsageResolution {
	switch {
	case d <= 24*time.Hour:
		return coditect.UsageMinute
	case d <= 31*24*time.Hour:
		return coditect.UsageHour
	}
	return coditect.UsageDay
}
