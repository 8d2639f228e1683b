-- Background jobs (store.JobStore). Times are unix microseconds (0 = zero
-- time). Completed jobs are deleted; failed ones stay until DeleteJob.
CREATE TABLE jobs (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	kind        TEXT NOT NULL,
	key         TEXT NOT NULL DEFAULT '',
	payload     BLOB,
	state       TEXT NOT NULL,
	attempt     BIGINT NOT NULL DEFAULT 0,
	run_at      BIGINT NOT NULL,
	lease_token TEXT NOT NULL DEFAULT '',
	lease_until BIGINT NOT NULL DEFAULT 0,
	last_error  TEXT NOT NULL DEFAULT '',
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL
);
-- ClaimJobs scans due jobs by state and time, in claim order.
CREATE INDEX jobs_claim ON jobs (state, run_at, id);
-- The Key order rule looks for earlier unfinished jobs of the same key.
CREATE INDEX jobs_key ON jobs (key, id) WHERE key <> '';
-- ListJobs and CountJobs by kind.
CREATE INDEX jobs_kind ON jobs (kind, id);
