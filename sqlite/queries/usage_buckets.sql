-- AddUsage merges one bucket into its stored row, or inserts it. A bucket
-- of a license the tenant does not have is dropped (no row, no error):
-- usage counted just before a license was deleted describes nothing left.
-- name: AddUsage :execrows
INSERT INTO usage_buckets (
    tenant_id, license_id, resolution, start, peak_in_use, acquires, denials,
    distinct_users, distinct_machines
)
SELECT CAST(@tenant_id AS TEXT), CAST(@license_id AS TEXT), CAST(@resolution AS TEXT),
       CAST(@start AS INTEGER), CAST(@peak_in_use AS INTEGER), CAST(@acquires AS INTEGER),
       CAST(@denials AS INTEGER), CAST(@distinct_users AS INTEGER), CAST(@distinct_machines AS INTEGER)
WHERE EXISTS (SELECT 1 FROM licenses WHERE tenant_id = @tenant_id AND id = @license_id)
ON CONFLICT (tenant_id, license_id, resolution, start) DO UPDATE SET
    peak_in_use = max(peak_in_use, excluded.peak_in_use),
    acquires = acquires + excluded.acquires,
    denials = denials + excluded.denials,
    distinct_users = max(distinct_users, excluded.distinct_users),
    distinct_machines = max(distinct_machines, excluded.distinct_machines);

-- ListUsage merges a tenant's stored buckets of the given resolutions into
-- buckets @width milliseconds wide (Unix time 0 is midnight UTC, so whole
-- days are UTC days).
-- name: ListUsage :many
SELECT license_id,
       CAST(start - start % @width AS INTEGER) AS bucket_start,
       CAST(max(peak_in_use) AS INTEGER) AS peak_in_use,
       CAST(sum(acquires) AS INTEGER) AS acquires,
       CAST(sum(denials) AS INTEGER) AS denials,
       CAST(max(distinct_users) AS INTEGER) AS distinct_users,
       CAST(max(distinct_machines) AS INTEGER) AS distinct_machines
FROM usage_buckets
WHERE tenant_id = @tenant_id
  AND start >= @from_time AND start < @to_time
  -- Last: sqlc numbers the other parameters as if the slice were one.
  AND resolution IN (sqlc.slice('resolutions'))
GROUP BY license_id, bucket_start
ORDER BY bucket_start, license_id;

-- ListLicenseUsage is ListUsage narrowed to one license, a separate
-- statement so that it can use the primary key.
-- name: ListLicenseUsage :many
SELECT license_id,
       CAST(start - start % @width AS INTEGER) AS bucket_start,
       CAST(max(peak_in_use) AS INTEGER) AS peak_in_use,
       CAST(sum(acquires) AS INTEGER) AS acquires,
       CAST(sum(denials) AS INTEGER) AS denials,
       CAST(max(distinct_users) AS INTEGER) AS distinct_users,
       CAST(max(distinct_machines) AS INTEGER) AS distinct_machines
FROM usage_buckets
WHERE tenant_id = @tenant_id
  AND license_id = @license_id
  AND start >= @from_time AND start < @to_time
  -- Last: sqlc numbers the other parameters as if the slice were one.
  AND resolution IN (sqlc.slice('resolutions'))
GROUP BY license_id, bucket_start
ORDER BY bucket_start, license_id;

-- RollupUsage merges every tenant's buckets of @from_resolution that start
-- before @before into the @width-wide buckets of @to_resolution. The
-- caller deletes the fine rows (DeleteUsage) in the same transaction.
-- name: RollupUsage :execrows
INSERT INTO usage_buckets (
    tenant_id, license_id, resolution, start, peak_in_use, acquires, denials,
    distinct_users, distinct_machines
)
SELECT f.tenant_id, f.license_id, CAST(@to_resolution AS TEXT), f.bucket_start,
       max(f.peak_in_use), sum(f.acquires), sum(f.denials), max(f.distinct_users), max(f.distinct_machines)
FROM (
    SELECT u.tenant_id, u.license_id, u.start - u.start % @width AS bucket_start, u.peak_in_use, u.acquires,
           u.denials, u.distinct_users, u.distinct_machines
    FROM usage_buckets AS u
    WHERE u.resolution = @from_resolution AND u.start < @before
) AS f
WHERE true -- SQLite needs a WHERE before an upsert's ON CONFLICT
GROUP BY f.tenant_id, f.license_id, f.bucket_start
ON CONFLICT (tenant_id, license_id, resolution, start) DO UPDATE SET
    peak_in_use = max(peak_in_use, excluded.peak_in_use),
    acquires = acquires + excluded.acquires,
    denials = denials + excluded.denials,
    distinct_users = max(distinct_users, excluded.distinct_users),
    distinct_machines = max(distinct_machines, excluded.distinct_machines);

-- name: DeleteUsage :execrows
DELETE FROM usage_buckets
WHERE resolution = @resolution AND start < @before;
