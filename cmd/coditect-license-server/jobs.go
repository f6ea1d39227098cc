package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/coditect/coditect-license/webhook"
	_ "modernc.org/sqlite" // database/sql driver "sqlite" for the SQLite job queue
)

// JobSchema is the PostgreSQL schema that holds River's tables, apart from
// the store's tenant tables (it needs no row-level security: it holds no
// tenant data, only job arguments and run records).
const JobSchema = "river"

// Job kinds, as River records them (river_job.kind).
const (
	KindSweepExpired = "sweep_expired_sessions"
	KindRetainUsage  = "retain_usage"
)

// jobMigrateLock is the advisory lock key replicas serialise River's
// migrations on ("coditect" "jobs" in ASCII, any constant would do).
const jobMigrateLock = 0x636f6469_6a6f6273

// jobRunner is a started River client, whatever its driver.
type jobRunner interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
}

// jobs is the job layer: a River client on the store's database
// (PostgreSQL) or on a SQLite file of its own next to the store's. River
// elects one leader among the replicas; only the leader enqueues periodic
// jobs.
type jobs struct {
	runner jobRunner
	insert jobInserter
	close  func()
}

type sweepExpiredArgs struct{}

func (sweepExpiredArgs) Kind() string { return KindSweepExpired }

type retainUsageArgs struct{}

func (retainUsageArgs) Kind() string { return KindRetainUsage }

// sweepExpiredWorker ends the sessions whose leases expired, on whichever
// replica picks the job up.
type sweepExpiredWorker struct {
	river.WorkerDefaults[sweepExpiredArgs]
	m *Main
}

func (w *sweepExpiredWorker) Work(ctx context.Context, _ *river.Job[sweepExpiredArgs]) error {
	n, err := w.m.seats.SweepExpired(ctx)
	if n > 0 {
		w.m.logger.Info("swept expired sessions", "count", n)
	}
	return err
}

// retainUsageWorker rolls the usage history up and deletes what is past its
// retention.
type retainUsageWorker struct {
	river.WorkerDefaults[retainUsageArgs]
	m *Main
}

func (w *retainUsageWorker) Work(ctx context.Context, _ *river.Job[retainUsageArgs]) error {
	return w.m.retainUsage(ctx, w.m.Now())
}

// riverConfig is the River configuration shared by both drivers.
func (m *Main) riverConfig() *river.Config {
	workers := river.NewWorkers()
	river.AddWorker(workers, &sweepExpiredWorker{m: m})
	river.AddWorker(workers, &retainUsageWorker{m: m})
	river.AddWorker(workers, &webhookDeliveryWorker{
		store: m.store, client: webhook.Client(10*time.Second, m.Config.WebhookAllowPrivate),
		retryBase: m.Config.WebhookRetryBase, now: m.Now,
	})
	river.AddWorker(workers, &licenseExpiryWorker{m: m})
	// A periodic job is unique while it waits or runs, so a run that takes
	// longer than its period never overlaps the next one, on any replica.
	// It is not retried: the next period is its retry.
	unique := river.UniqueOpts{ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
		rivertype.JobStateRetryable, rivertype.JobStateScheduled,
	}}
	periodic := func(every time.Duration, args river.JobArgs) *river.PeriodicJob {
		return river.NewPeriodicJob(river.PeriodicInterval(every), func() (river.JobArgs, *river.InsertOpts) {
			return args, &river.InsertOpts{MaxAttempts: 1, UniqueOpts: unique}
		}, &river.PeriodicJobOpts{RunOnStart: true})
	}
	poll := min(max(m.Config.SweepInterval/2, 100*time.Millisecond), time.Second)
	return &river.Config{
		Logger: slog.New(warnHandler{m.logger.Handler()}).With("component", "jobs"),
		Queues: map[string]river.QueueConfig{
			river.QueueDefault: {MaxWorkers: 2},
			webhookQueue:       {MaxWorkers: 10}, // a slow receiver never delays a sweep
		},
		Workers:                     workers,
		FetchCooldown:               min(poll, 100*time.Millisecond),
		FetchPollInterval:           poll,
		CompletedJobRetentionPeriod: time.Hour,
		// A job left running by a replica that was killed holds its
		// uniqueness, and so blocks the next run, until the rescuer (on the
		// leader) gives up on it: keep that short.
		JobTimeout:           time.Minute,
		RescueStuckJobsAfter: 2 * time.Minute,
		PeriodicJobs: []*river.PeriodicJob{
			periodic(m.Config.SweepInterval, sweepExpiredArgs{}),
			periodic(time.Minute, retainUsageArgs{}),
			// Unique per hour, finished runs included: each hour's expiries
			// are looked at once, even when the leadership moves.
			river.NewPeriodicJob(river.PeriodicInterval(time.Hour), func() (river.JobArgs, *river.InsertOpts) {
				return licenseExpiryArgs{}, &river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByPeriod: time.Hour}}
			}, &river.PeriodicJobOpts{RunOnStart: true}),
		},
	}
}

// openJobs migrates River's tables and creates its client. On PostgreSQL
// River connects as the URL's user (the schema owner), not as the
// application role: its tables hold no tenant data.
func (m *Main) openJobs(ctx context.Context) (*jobs, error) {
	if path, ok := strings.CutPrefix(m.Config.Database, "sqlite:"); ok {
		return m.openSQLiteJobs(ctx, filepath.Join(filepath.Dir(path), "jobs.db"))
	}
	pc, err := pgxpool.ParseConfig(m.Config.Database)
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	pc.MaxConns = 5
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	if err := migratePostgresJobs(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	cfg := m.riverConfig()
	cfg.Schema = JobSchema
	client, err := river.NewClient(riverpgxv5.New(pool), cfg)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("job queue: %w", err)
	}
	return &jobs{runner: client, insert: client, close: pool.Close}, nil
}

// migratePostgresJobs creates River's schema and tables, one replica at a
// time: a session advisory lock held on one connection while River
// migrates, version by version, on others (one transaction for all
// versions is refused: a later version uses an enum value an earlier one
// adds).
func migratePostgresJobs(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate job queue: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(jobMigrateLock)); err != nil {
		return fmt.Errorf("lock job queue migrations: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(jobMigrateLock)) //nolint:errcheck // the lock also ends with the session
	if _, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+JobSchema); err != nil {
		return fmt.Errorf("create job queue schema: %w", err)
	}
	mig, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Schema: JobSchema})
	if err != nil {
		return fmt.Errorf("job queue migrations: %w", err)
	}
	if _, err := mig.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate job queue: %w", err)
	}
	return nil
}

// warnHandler passes on only warnings and errors: River reports every
// leadership change and start at info level.
type warnHandler struct{ slog.Handler }

func (h warnHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && h.Handler.Enabled(ctx, l)
}

func (h warnHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return warnHandler{h.Handler.WithAttrs(attrs)}
}

func (h warnHandler) WithGroup(name string) slog.Handler {
	return warnHandler{h.Handler.WithGroup(name)}
}

// openSQLiteJobs opens River on its own SQLite file, so job polling never
// contends with the store's writes. One connection, as River recommends
// for SQLite.
func (m *Main) openSQLiteJobs(ctx context.Context, path string) (*jobs, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=synchronous(NORMAL)")
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	db.SetMaxOpenConns(1)
	mig, err := rivermigrate.New(riversqlite.New(db), nil)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("job queue migrations: %w", err)
	}
	if _, err := mig.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate job queue: %w", err)
	}
	client, err := river.NewClient(riversqlite.New(db), m.riverConfig())
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("job queue: %w", err)
	}
	return &jobs{runner: client, insert: client, close: func() { db.Close() }}, nil
}
