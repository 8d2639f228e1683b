-- When a notification was last delivered to a subscription (unix
-- microseconds, 0 = never). Written at creation and by MarkDelivered only.
ALTER TABLE subscriptions ADD COLUMN last_delivery_at BIGINT NOT NULL DEFAULT 0;
-- ListAppSubscriptions pages an app's subscriptions by id.
CREATE INDEX subscriptions_app ON subscriptions (app_id, id);
