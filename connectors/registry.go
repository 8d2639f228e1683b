package connectors

import (
	"fmt"
	"sort"
	"strings"
)

// Registry finds a connector by service type. Build it once with
// NewRegistry; it is immutable and safe for concurrent use.
type Registry struct {
	byType map[string]Connector
	names  []string
}

// NewRegistry returns a registry of the given connectors. Two connectors
// with the same service type (ignoring case) are an error, as is an empty
// service type.
func NewRegistry(cs ...Connector) (*Registry, error) {
	r := &Registry{byType: make(map[string]Connector, len(cs))}
	for _, c := range cs {
		if c == nil {
			return nil, fmt.Errorf("connectors: nil connector")
		}
		st := c.ServiceType()
		key := strings.ToLower(st)
		if key == "" {
			return nil, fmt.Errorf("connectors: connector %T has an empty service type", c)
		}
		if _, dup := r.byType[key]; dup {
			return nil, fmt.Errorf("connectors: two connectors for service type %q", st)
		}
		r.byType[key] = c
		r.names = append(r.names, st)
	}
	sort.Strings(r.names)
	return r, nil
}

// Get returns the connector for a service type, ignoring case.
func (r *Registry) Get(serviceType string) (Connector, bool) {
	if r == nil {
		return nil, false
	}
	c, ok := r.byType[strings.ToLower(serviceType)]
	return c, ok
}

// ServiceTypes lists the registered service types, sorted.
func (r *Registry) ServiceTypes() []string {
	if r == nil {
		return nil
	}
	return append([]string(nil), r.names...)
}
