-- pgwarden: cancel client queries running longer than :limit_seconds, except those of :excluded users.
-- Run by pgwarden-cancel-queries.service: psql -v limit_seconds=N -v excluded='{user,...}' -f this file
SELECT now() AS at, pid, usename, datname,
       round(extract(epoch FROM clock_timestamp() - query_start)) AS seconds,
       left(regexp_replace(query, '\s+', ' ', 'g'), 200) AS query,
       pg_cancel_backend(pid) AS cancelled
  FROM pg_stat_activity
 WHERE backend_type = 'client backend' AND state = 'active' AND pid <> pg_backend_pid()
   AND clock_timestamp() - query_start > make_interval(secs => :'limit_seconds')
   AND NOT (usename = ANY (:'excluded'::text[]));
