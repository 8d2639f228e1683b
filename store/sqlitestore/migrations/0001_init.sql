-- Initial schema. Times are unix microseconds (0 = zero time), string lists
-- JSON text, sealed secrets BLOB, hashes BLOB keys.

CREATE TABLE apps (
	id            TEXT NOT NULL PRIMARY KEY,
	name          TEXT NOT NULL DEFAULT '',
	client_secret BLOB,
	return_urls   TEXT NOT NULL DEFAULT 'null',
	cors_origins  TEXT NOT NULL DEFAULT 'null',
	created_at    BIGINT NOT NULL,
	updated_at    BIGINT NOT NULL
);

CREATE TABLE organizations (
	id               INTEGER PRIMARY KEY AUTOINCREMENT,
	app_id           TEXT NOT NULL,
	service_provider TEXT NOT NULL,
	xid              TEXT NOT NULL,
	domain           TEXT NOT NULL DEFAULT '',
	name             TEXT NOT NULL DEFAULT '',
	created_at       BIGINT NOT NULL,
	UNIQUE (app_id, service_provider, xid)
);
CREATE INDEX organizations_app ON organizations (app_id, id);

CREATE TABLE users (
	id            TEXT NOT NULL PRIMARY KEY,
	app_id        TEXT NOT NULL,
	email         TEXT NOT NULL DEFAULT '',
	name          TEXT NOT NULL DEFAULT '',
	auth_org_id   TEXT NOT NULL DEFAULT '',
	org_id        BIGINT NOT NULL DEFAULT 0,
	created_at    BIGINT NOT NULL,
	last_activity BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX users_app ON users (app_id, id);

CREATE TABLE accounts (
	id                  INTEGER PRIMARY KEY AUTOINCREMENT,
	app_id              TEXT NOT NULL,
	user_id             TEXT NOT NULL DEFAULT '',
	parent_id           BIGINT NOT NULL DEFAULT 0,
	service_type        TEXT NOT NULL,
	service_provider    TEXT NOT NULL DEFAULT '',
	type                TEXT NOT NULL,
	active              BOOLEAN NOT NULL,
	token_status        TEXT NOT NULL,
	token_error         TEXT NOT NULL DEFAULT '',
	scopes              TEXT NOT NULL DEFAULT 'null',
	native_scopes       TEXT NOT NULL DEFAULT 'null',
	auth_user_id        TEXT NOT NULL DEFAULT '',
	auth_org_id         TEXT NOT NULL DEFAULT '',
	org_id              BIGINT NOT NULL DEFAULT 0,
	email               TEXT NOT NULL DEFAULT '',
	name                TEXT NOT NULL DEFAULT '',
	login_string        TEXT NOT NULL DEFAULT '',
	server_url          TEXT NOT NULL DEFAULT '',
	timezone            TEXT NOT NULL DEFAULT '',
	auth_obtained_at    BIGINT NOT NULL DEFAULT 0,
	created_at          BIGINT NOT NULL,
	updated_at          BIGINT NOT NULL,
	token_sealed        BLOB,
	token_expiry        BIGINT NOT NULL DEFAULT 0,
	token_version       BIGINT NOT NULL DEFAULT 0,
	token_refreshed_at  BIGINT NOT NULL DEFAULT 0,
	token_last_error    TEXT NOT NULL DEFAULT '',
	token_last_error_at BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX accounts_identity ON accounts (app_id, user_id, service_type, auth_user_id) WHERE auth_user_id <> '';
CREATE UNIQUE INDEX accounts_one_primary ON accounts (user_id) WHERE type = 'primary' AND user_id <> '';
CREATE INDEX accounts_app ON accounts (app_id, id);
CREATE INDEX accounts_user ON accounts (user_id);
CREATE INDEX accounts_token_expiry ON accounts (token_expiry, id) WHERE token_expiry <> 0;

CREATE TABLE sessions (
	hash            BLOB NOT NULL PRIMARY KEY,
	app_id          TEXT NOT NULL,
	user_id         TEXT NOT NULL,
	account_id      BIGINT NOT NULL DEFAULT 0,
	created_at      BIGINT NOT NULL,
	last_seen_at    BIGINT NOT NULL DEFAULT 0,
	idle_expires_at BIGINT NOT NULL DEFAULT 0,
	expires_at      BIGINT NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE account_tokens (
	hash       BLOB NOT NULL PRIMARY KEY,
	app_id     TEXT NOT NULL,
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX account_tokens_account ON account_tokens (account_id);

CREATE TABLE codes (
	hash       BLOB NOT NULL PRIMARY KEY,
	kind       TEXT NOT NULL,
	app_id     TEXT NOT NULL DEFAULT '',
	payload    BLOB,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL
) WITHOUT ROWID;
CREATE INDEX codes_expires ON codes (expires_at);

CREATE TABLE settings (
	app_id     TEXT NOT NULL,
	scope      TEXT NOT NULL,
	owner_id   TEXT NOT NULL,
	key        TEXT NOT NULL,
	value      BLOB,
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (app_id, scope, owner_id, key)
) WITHOUT ROWID;

CREATE TABLE subscriptions (
	id                  INTEGER PRIMARY KEY AUTOINCREMENT,
	app_id              TEXT NOT NULL,
	account_id          BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	resource            TEXT NOT NULL,
	notification_url    TEXT NOT NULL,
	filters             TEXT NOT NULL DEFAULT 'null',
	active              BOOLEAN NOT NULL,
	fail_since          BIGINT NOT NULL DEFAULT 0,
	fail_description    TEXT NOT NULL DEFAULT '',
	provider_id         TEXT NOT NULL DEFAULT '',
	provider_secret     BLOB,
	provider_expires_at BIGINT NOT NULL DEFAULT 0,
	created_at          BIGINT NOT NULL,
	updated_at          BIGINT NOT NULL
);
CREATE INDEX subscriptions_account ON subscriptions (account_id, id);
CREATE INDEX subscriptions_expiring ON subscriptions (provider_expires_at, id) WHERE provider_expires_at <> 0;

CREATE TABLE locks (
	name       TEXT NOT NULL PRIMARY KEY,
	token      TEXT NOT NULL,
	expires_at BIGINT NOT NULL,
	fence      BIGINT NOT NULL
) WITHOUT ROWID;
