package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/coditect/coditect-license/postgres/internal/sqlcdb"
)

// sqlRecorder is a sqlcdb.DBTX that runs nothing and keeps the text of the
// last statement a query gave it.
type sqlRecorder struct{ sql string }

var errRecorded = errors.New("recorded, not run")

func (r *sqlRecorder) Exec(_ context.Context, sql string, _ ...any) (pgconn.CommandTag, error) {
	r.sql = sql
	return pgconn.CommandTag{}, errRecorded
}

func (r *sqlRecorder) Query(_ context.Context, sql string, _ ...any) (pgx.Rows, error) {
	r.sql = sql
	return nil, errRecorded
}

func (r *sqlRecorder) QueryRow(_ context.Context, sql string, _ ...any) pgx.Row {
	r.sql = sql
	return errRow{errRecorded}
}

// planNode is the part of EXPLAIN (FORMAT JSON) the test reads.
type planNode struct {
	NodeType      string     `json:"Node Type"`
	IndexName     string     `json:"Index Name"`
	ActualRows    float64    `json:"Actual Rows"`
	ActualLoops   float64    `json:"Actual Loops"`
	RemovedFilter float64    `json:"Rows Removed by Filter"`
	Plans         []planNode `json:"Plans"`
}

// rowsRead is every row the plan's nodes produced or filtered out.
func (n planNode) rowsRead() float64 {
	total := (n.ActualRows + n.RemovedFilter) * max(n.ActualLoops, 1)
	for _, c := range n.Plans {
		total += c.rowsRead()
	}
	return total
}

// TestFindActiveSessionReadsNoHistory gives a license a long history of
// ended sessions and checks that the acquire path's lookup, under the
// generic plan a prepared statement ends up with, reads none of it
// (coditect.Store: "never a scan of the history"). It uses a database of
// its own, analysed, so that the planner's statistics are this test's.
func TestFindActiveSessionReadsNoHistory(t *testing.T) {
	t.Parallel()
	url := databaseURL(serverURL(t), newDatabase(t, ""))
	s, err := Open(t.Context(), Config{URL: url, MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	r := seedTenant(t, s)
	ctx := t.Context()

	// The history, written and analysed as the owner.
	owner, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close(ctx)
	const history = 5000
	err = pgx.BeginFunc(ctx, owner, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT set_config('app.tenant_id', $1, true)", r.tenant.ID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO sessions (tenant_id, id, license_id, fingerprint, instance_id, status,
				started_at, last_heartbeat_at, expires_at, ended_at, end_reason)
			SELECT $1, 'h-' || lpad(i::text, 8, '0'), $2, 'fp-' || (i % 500), 'i-' || i, 'ended',
				now(), now(), now(), now(), 'released'
			FROM generate_series(1, $3::int) AS i`, r.tenant.ID, r.license.ID, history)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := owner.Exec(ctx, "ANALYZE sessions"); err != nil {
		t.Fatal(err)
	}

	var rec sqlRecorder
	_, _ = sqlcdb.New(&rec).FindActiveSession(ctx, sqlcdb.FindActiveSessionParams{})
	err = s.inTenantTx(ctx, r.tenant.ID, pgx.ReadWrite, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL plan_cache_mode = force_generic_plan"); err != nil {
			return err
		}
		// The prepared statement goes with the test's own connection.
		if _, err := tx.Exec(ctx, "PREPARE find_active(text, text, text, text) AS "+rec.sql); err != nil {
			return err
		}
		var out []byte
		// EXPLAIN takes no parameters; the IDs are UUIDs.
		err := tx.QueryRow(ctx, fmt.Sprintf("EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE find_active('%s', '%s', 'fp-7', 'i-none')",
			r.tenant.ID, r.license.ID)).Scan(&out)
		if err != nil {
			return err
		}
		var plans []struct{ Plan planNode }
		if err := json.Unmarshal(out, &plans); err != nil {
			return err
		}
		if n := plans[0].Plan.rowsRead(); n > 10 {
			t.Errorf("got %v rows read for a license with %d ended sessions, want none of them; plan %s", n, history, out)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
