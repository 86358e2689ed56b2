package chain

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
)

// TestSubmitDeadlineDuringBroadcast: a node that takes the connection and
// never answers holds the broadcast until the deadline. The node may or may
// not have the transaction then, so Submit says ErrNotConfirmed (the caller
// keeps the work pending and tries again), not a transport failure.
func TestSubmitDeadlineDuringBroadcast(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	held := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held <- c // read nothing, answer nothing
		}
	}()
	defer func() {
		for {
			select {
			case c := <-held:
				c.Close()
			default:
				return
			}
		}
	}()
	rpc, err := rpchttp.New("tcp://"+l.Addr().String(), "/websocket")
	if err != nil {
		t.Fatal(err)
	}
	c := NewClient(rpc, ClientConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err = c.Submit(ctx, []byte(`{"v":1}`))
	if !errors.Is(err, ErrNotConfirmed) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Submit to a silent node: %v, want ErrNotConfirmed wrapping the deadline", err)
	}
}
