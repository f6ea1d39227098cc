-- AddUsage is SQLite's AddUsage for a whole batch of one tenant in one
-- statement, over unnested arrays as in TouchSessions. The caller passes
-- each (license, resolution, start) once, so no row is updated twice.
-- Buckets of a license the tenant does not have are dropped (no row, no
-- error): usage counted just before a license was deleted describes
-- nothing left.
-- name: AddUsage :execrows
INSERT INTO usage_buckets AS b (
    tenant_id, license_id, resolution, start, peak_in_use, acquires, denials,
    distinct_users, distinct_machines
)
SELECT @tenant_id::text, u.license_id, u.resolution, u.start, u.peak_in_use, u.acquires, u.denials,
       u.distinct_users, u.distinct_machines
FROM (
    SELECT unnest(@license_ids::text[]) AS license_id,
           unnest(@resolutions::text[]) AS resolution,
           unnest(@starts::timestamptz[]) AS start,
           unnest(@peaks_in_use::bigint[]) AS peak_in_use,
           unnest(@acquires::bigint[]) AS acquires,
           unnest(@denials::bigint[]) AS denials,
           unnest(@distinct_users::bigint[]) AS distinct_users,
           unnest(@distinct_machines::bigint[]) AS distinct_machines
) AS u
WHERE EXISTS (SELECT 1 FROM licenses AS l WHERE l.tenant_id = @tenant_id::text AND l.id = u.license_id)
ON CONFLICT (tenant_id, license_id, resolution, start) DO UPDATE SET
    peak_in_use = greatest(b.peak_in_use, excluded.peak_in_use),
    acquires = b.acquires + excluded.acquires,
    denials = b.denials + excluded.denials,
    distinct_users = greatest(b.distinct_users, excluded.distinct_users),
    distinct_machines = greatest(b.distinct_machines, excluded.distinct_machines);

-- ListUsage merges a tenant's stored buckets of the given resolutions into
-- buckets of @resolution (date_trunc's units are the resolutions' names).
-- name: ListUsage :many
SELECT license_id,
       date_trunc(@resolution::text, start, 'UTC')::timestamptz AS bucket_start,
       max(peak_in_use)::bigint AS peak_in_use,
       sum(acquires)::bigint AS acquires,
       sum(denials)::bigint AS denials,
       max(distinct_users)::bigint AS distinct_users,
       max(distinct_machines)::bigint AS distinct_machines
FROM usage_buckets
WHERE tenant_id = @tenant_id
  AND resolution = ANY(@resolutions::text[])
  AND start >= @from_time AND start < @to_time
GROUP BY license_id, bucket_start
ORDER BY bucket_start, license_id;

-- ListLicenseUsage is ListUsage narrowed to one license, a separate
-- statement so that it can use the primary key.
-- name: ListLicenseUsage :many
SELECT license_id,
       date_trunc(@resolution::text, start, 'UTC')::timestamptz AS bucket_start,
       max(peak_in_use)::bigint AS peak_in_use,
       sum(acquires)::bigint AS acquires,
       sum(denials)::bigint AS denials,
       max(distinct_users)::bigint AS distinct_users,
       max(distinct_machines)::bigint AS distinct_machines
FROM usage_buckets
WHERE tenant_id = @tenant_id
  AND license_id = @license_id
  AND resolution = ANY(@resolutions::text[])
  AND start >= @from_time AND start < @to_time
GROUP BY license_id, bucket_start
ORDER BY bucket_start, license_id;

-- RollupUsage moves one tenant's buckets of @from_resolution that start
-- before @before into buckets of @to_resolution, in one statement: the
-- DELETE ... RETURNING takes the fine rows, the INSERT merges them. Two
-- replicas running it at once cannot both move a row: the second one's
-- DELETE waits for the first one's row locks, then skips the rows the
-- first one deleted. It returns how many fine rows it moved.
-- name: RollupUsage :one
WITH moved AS (
    DELETE FROM usage_buckets AS f
    WHERE f.tenant_id = @tenant_id::text AND f.resolution = @from_resolution::text AND f.start < @before::timestamptz
    RETURNING f.license_id, f.start, f.peak_in_use, f.acquires, f.denials, f.distinct_users, f.distinct_machines
), merged AS (
    INSERT INTO usage_buckets AS b (
        tenant_id, license_id, resolution, start, peak_in_use, acquires, denials,
        distinct_users, distinct_machines
    )
    SELECT @tenant_id::text, m.license_id, @to_resolution::text, date_trunc(@to_resolution::text, m.start, 'UTC'),
           max(m.peak_in_use), sum(m.acquires), sum(m.denials), max(m.distinct_users), max(m.distinct_machines)
    FROM moved AS m
    GROUP BY m.license_id, date_trunc(@to_resolution::text, m.start, 'UTC')
    ON CONFLICT (tenant_id, license_id, resolution, start) DO UPDATE SET
        peak_in_use = greatest(b.peak_in_use, excluded.peak_in_use),
        acquires = b.acquires + excluded.acquires,
        denials = b.denials + excluded.denials,
        distinct_users = greatest(b.distinct_users, excluded.distinct_users),
        distinct_machines = greatest(b.distinct_machines, excluded.distinct_machines)
)
SELECT count(*) FROM moved;

-- name: DeleteUsage :execrows
DELETE FROM usage_buckets
WHERE tenant_id = @tenant_id AND resolution = @resolution AND start < @before;

-- ListUsageTenants names, through the SECURITY DEFINER function, the
-- tenants with buckets of @resolution that start before @before: the
-- retention jobs then work tenant by tenant.
-- name: ListUsageTenants :many
SELECT tenant_id::text FROM list_usage_tenants(@resolution::text, @before::timestamptz);
