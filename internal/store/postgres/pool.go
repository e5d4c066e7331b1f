package postgres

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// errClosed is what a closed Store's methods return.
var errClosed = errors.New("store closed")

// pool is a small connection pool over *pgx.Conn.
//
// It stands in for pgxpool, whose dependency github.com/jackc/puddle/v2 is
// not in go.sum (see the package doc). Like pgxpool it dials on demand,
// drops connections that broke, and checks a connection that sat idle for
// a while before handing it out, so it recovers by itself once the
// server is back.
type pool struct {
	cfg *pgx.ConnConfig
	sem chan struct{} // one token per open or opening connection in use

	mu     sync.Mutex
	idle   []idleConn
	closed bool
}

type idleConn struct {
	c     *pgx.Conn
	since time.Time
}

// idleCheck is how long a connection may sit idle before it is pinged on
// acquire, as pgxpool does.
const idleCheck = time.Second

func newPool(cfg *pgx.ConnConfig, size int) *pool {
	return &pool{cfg: cfg, sem: make(chan struct{}, size)}
}

// acquire returns a live connection, dialing one if none is idle.
func (p *pool) acquire(ctx context.Context) (*pgx.Conn, error) {
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			<-p.sem
			return nil, errClosed
		}
		var ic idleConn
		if n := len(p.idle); n > 0 {
			ic = p.idle[n-1]
			p.idle = p.idle[:n-1]
		}
		p.mu.Unlock()
		if ic.c == nil {
			break
		}
		if ic.c.IsClosed() {
			continue
		}
		if time.Since(ic.since) < idleCheck {
			return ic.c, nil
		}
		if err := ic.c.Ping(ctx); err == nil {
			return ic.c, nil
		}
		closeConn(ic.c)
		if ctx.Err() != nil {
			<-p.sem
			return nil, ctx.Err()
		}
	}
	c, err := pgx.ConnectConfig(ctx, p.cfg)
	if err != nil {
		<-p.sem
		return nil, err
	}
	return c, nil
}

// release gives c back. A connection that broke, or is still mid-query
// because its context ended, is closed instead of kept.
func (p *pool) release(c *pgx.Conn) {
	defer func() { <-p.sem }()
	if c.IsClosed() || c.PgConn().IsBusy() || c.PgConn().TxStatus() != 'I' {
		closeConn(c)
		return
	}
	p.mu.Lock()
	closed := p.closed
	if !closed {
		p.idle = append(p.idle, idleConn{c: c, since: time.Now()})
	}
	p.mu.Unlock()
	if closed {
		closeConn(c)
	}
}

// with runs f on a pooled connection.
func (p *pool) with(ctx context.Context, f func(*pgx.Conn) error) error {
	c, err := p.acquire(ctx)
	if err != nil {
		return err
	}
	defer p.release(c)
	err = f(c)
	if err != nil && c.IsClosed() {
		// The connection died under f: whatever f says, the database
		// did not answer.
		return errors.Join(errConnLost, err)
	}
	return err
}

var errConnLost = errors.New("connection lost")

// close closes the idle connections; connections in use close when they
// are released.
func (p *pool) close() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	for _, ic := range idle {
		closeConn(ic.c)
	}
}

func closeConn(c *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	c.Close(ctx)
}
