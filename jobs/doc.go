// Package jobs runs background work queued in a store.JobStore: webhook
// deliveries, subscription renewals, resyncs. A Runner claims due jobs of
// the kinds it has handlers for, runs each handler with the job's lease
// kept alive, and completes, retries (with backoff) or fails the job by
// what the handler returns. Any number of Runners, in any number of
// processes sharing the store, may run at once: the store hands each job to
// one of them at a time and keeps the jobs of one Key in order.
//
// It is not a scheduler of recurring work (enqueue the next run from the
// handler) and does not interpret payloads: handlers decode their own, and
// seal any secret inside them.
package jobs
