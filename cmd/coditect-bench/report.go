package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// report is the outcome of one run; its JSON form is the --json output.
type report struct {
	URL             string      `json:"url"`
	Mode            string      `json:"mode"`
	Concurrency     int         `json:"concurrency"`
	K               int         `json:"k,omitempty"`
	Licenses        int         `json:"licenses"`
	SeatsPerLicense int         `json:"seats_per_license"`
	ElapsedSeconds  float64     `json:"elapsed_seconds"`
	Cycles          int         `json:"cycles"`
	CyclesPerSecond float64     `json:"cycles_per_second"`
	Ops             []opStats   `json:"ops"`
	Errors          []errCount  `json:"errors"`
	Seats           seatsReport `json:"seats"`
}

// opStats is the throughput and latency of one operation; latencies are in
// milliseconds and count successful requests.
type opStats struct {
	Op           string  `json:"op"`
	Count        int     `json:"count"`
	Errors       int     `json:"errors"`
	OpsPerSecond float64 `json:"ops_per_second"`
	P50          float64 `json:"p50_ms"`
	P90          float64 `json:"p90_ms"`
	P99          float64 `json:"p99_ms"`
	Max          float64 `json:"max_ms"`
}

type errCount struct {
	Op     string `json:"op"`
	Status int    `json:"status"`
	Code   string `json:"code"`
	Count  int    `json:"count"`
}

// seatsReport is seats in use over time, sampled from GET /api/v1/license.
type seatsReport struct {
	MaxInUse        int      `json:"max_in_use"`
	MaxLicenseInUse int      `json:"max_license_in_use"`
	Oversold        bool     `json:"oversold"`
	Samples         []sample `json:"samples"`
}

func newReport(cfg config, lics []license, elapsed time.Duration, recs []*recorder, series []sample) *report {
	rep := &report{
		URL: cfg.URL, Mode: cfg.Mode, Concurrency: cfg.Concurrency, Licenses: len(lics),
		SeatsPerLicense: cfg.Seats, ElapsedSeconds: elapsed.Seconds(), Errors: []errCount{},
	}
	if cfg.Mode == "cycle" {
		rep.K = cfg.K
	}
	errs := map[errKey]int{}
	perOp := map[string]int{}
	for _, rec := range recs {
		rep.Cycles += rec.cycles
		for k, n := range rec.errs {
			errs[k] += n
			perOp[k.Op] += n
		}
	}
	rep.CyclesPerSecond = float64(rep.Cycles) / elapsed.Seconds()
	for op := range numOps {
		var all []time.Duration
		for _, rec := range recs {
			all = append(all, rec.lat[op]...)
		}
		if len(all) == 0 && perOp[opNames[op]] == 0 {
			continue
		}
		slices.Sort(all)
		rep.Ops = append(rep.Ops, opStats{
			Op: opNames[op], Count: len(all), Errors: perOp[opNames[op]],
			OpsPerSecond: float64(len(all)) / elapsed.Seconds(),
			P50:          quantile(all, 0.50), P90: quantile(all, 0.90), P99: quantile(all, 0.99), Max: quantile(all, 1),
		})
	}
	for k, n := range errs {
		rep.Errors = append(rep.Errors, errCount{Op: k.Op, Status: k.Status, Code: k.Code, Count: n})
	}
	slices.SortFunc(rep.Errors, func(a, b errCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Op, b.Op), cmp.Compare(a.Code, b.Code))
	})
	rep.Seats.Samples = series
	for _, s := range series {
		rep.Seats.MaxInUse = max(rep.Seats.MaxInUse, s.InUse)
		rep.Seats.MaxLicenseInUse = max(rep.Seats.MaxLicenseInUse, s.MaxOne)
	}
	rep.Seats.Oversold = rep.Seats.MaxLicenseInUse > cfg.Seats
	return rep
}

// quantile returns the q-quantile of sorted, in milliseconds (nearest rank).
func quantile(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	i = min(max(i, 0), len(sorted)-1)
	return float64(sorted[i]) / float64(time.Millisecond)
}

// WriteJSON prints the report as indented JSON.
func (rep *report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// WriteTable prints the report for people.
func (rep *report) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "coditect-bench  %s  mode=%s  c=%d", rep.URL, rep.Mode, rep.Concurrency)
	if rep.Mode == "cycle" {
		fmt.Fprintf(w, "  k=%d", rep.K)
	}
	fmt.Fprintf(w, "  licenses=%d x %d seats  elapsed=%.1fs\n\n", rep.Licenses, rep.SeatsPerLicense, rep.ElapsedSeconds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "op\tcount\tops/s\tp50 ms\tp90 ms\tp99 ms\tmax ms\terrors\t")
	for _, o := range rep.Ops {
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t%d\t\n", o.Op, o.Count, o.OpsPerSecond, o.P50, o.P90, o.P99, o.Max, o.Errors)
	}
	tw.Flush()
	if rep.Mode != "heartbeat" {
		fmt.Fprintf(w, "\ncycles: %d (%.0f/s)\n", rep.Cycles, rep.CyclesPerSecond)
	}
	if len(rep.Errors) == 0 {
		fmt.Fprintln(w, "\nerrors: none")
	} else {
		fmt.Fprintln(w, "\nerrors:")
		for _, e := range rep.Errors {
			fmt.Fprintf(w, "  %-9s %3d %-24s %d\n", e.Op, e.Status, e.Code, e.Count)
		}
	}
	verdict := "never above the license's seats"
	if rep.Seats.Oversold {
		verdict = "OVERSOLD: above the license's seats"
	}
	fmt.Fprintf(w, "\nseats in use: max %d on one license of %d seats (%s), max %d in total\n",
		rep.Seats.MaxLicenseInUse, rep.SeatsPerLicense, verdict, rep.Seats.MaxInUse)
	fmt.Fprintln(w, "  over time (s: in use):", sparkSeries(rep.Seats.Samples, 12))
}

// sparkSeries prints at most n evenly spaced samples.
func sparkSeries(s []sample, n int) string {
	if len(s) == 0 {
		return "no samples"
	}
	var b strings.Builder
	step := max(1, (len(s)+n-1)/n)
	for i := 0; i < len(s); i += step {
		fmt.Fprintf(&b, " %.1f:%d", s[i].At, s[i].InUse)
	}
	if last := s[len(s)-1]; (len(s)-1)%step != 0 {
		fmt.Fprintf(&b, " %.1f:%d", last.At, last.InUse)
	}
	return strings.TrimSpace(b.String())
}
