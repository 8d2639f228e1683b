package aurinko

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/aurinko-go/aurinko/store"
)

// originCache holds the CORS origins of every app for a short while, so
// that a preflight does not read every app from the store.
type originCache struct {
	store  store.Store
	ttl    time.Duration
	now    func() time.Time
	logger *slog.Logger

	mu      sync.Mutex
	set     map[string]struct{}
	expires time.Time
}

func (c *originCache) invalidate() {
	c.mu.Lock()
	c.set = nil
	c.mu.Unlock()
}

// allowed reports whether any app lists origin. A store failure allows
// nothing (and is logged).
func (c *originCache) allowed(ctx context.Context, origin string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.set == nil || !c.now().Before(c.expires) {
		set := map[string]struct{}{}
		page := store.StringPage{Limit: store.MaxPageLimit}
		for {
			apps, err := c.store.ListApps(ctx, page)
			if err != nil {
				c.logger.Error("cors: list apps", "error", err)
				return false
			}
			for _, a := range apps {
				for _, o := range a.CORSOrigins {
					set[o] = struct{}{}
				}
			}
			if len(apps) < page.Limit {
				break
			}
			page.After = apps[len(apps)-1].ID
		}
		c.set, c.expires = set, c.now().Add(c.ttl)
	}
	_, ok := c.set[origin]
	return ok
}
