-- The refresher lists idle grants by last refresh time.
CREATE INDEX accounts_token_refreshed ON accounts (token_refreshed_at, id) WHERE token_sealed IS NOT NULL;
