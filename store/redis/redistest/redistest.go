// Package redistest gives tests a real Redis server, for every package whose
// tests need one (store/redis, and the services that keep sessions and nonces
// in Redis). No mocks: the server is either the one named by
// TALENTCHAIN_REDIS_ADDR, or a redis-server started for the test binary.
//
// Use it from the package's TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(redistest.Main(m)) }
//
//	func TestSessions(t *testing.T) {
//		s := redistest.Open(t) // a store.Store with a key prefix of this test's own
//		...
//	}
//
// When no server is available the tests are skipped with a message saying
// how to get one, except when the environment variable CI is true: then they
// fail, so that a CI job cannot pass by skipping.
package redistest

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	redisstore "github.com/talentchain/talentchain/store/redis"
)

// EnvAddr names the environment variable with the host:port of an existing
// Redis server to test against instead of starting one. Tests use keys under
// a random prefix of their own and delete them when they end, so a shared
// development server can be used; flushing is never done.
const EnvAddr = "TALENTCHAIN_REDIS_ADDR"

var (
	mainCalled atomic.Bool

	sharedOnce sync.Once
	shared     *Server
	sharedErr  error
	sharedDir  string
)

// Main runs the tests of m and then stops the redis-server that Addr may
// have started for them. Call it from TestMain.
func Main(m *testing.M) int {
	mainCalled.Store(true)
	code := m.Run()
	if shared != nil {
		shared.stop(syscall.SIGTERM)
	}
	if sharedDir != "" {
		os.RemoveAll(sharedDir)
	}
	return code
}

// Addr returns the host:port of a Redis server for t: TALENTCHAIN_REDIS_ADDR
// if set, otherwise a redis-server started once for the test binary on a free
// loopback port (Main stops it). Without either it skips t, or fails it when
// CI=true.
func Addr(t testing.TB) string {
	t.Helper()
	if addr := os.Getenv(EnvAddr); addr != "" {
		return addr
	}
	if !mainCalled.Load() {
		t.Fatal("redistest: the package's TestMain must call redistest.Main(m), which stops the redis-server the tests start")
	}
	sharedOnce.Do(func() {
		if _, err := exec.LookPath("redis-server"); err != nil {
			sharedErr = errNoServer
			return
		}
		sharedDir, sharedErr = os.MkdirTemp("", "redistest-")
		if sharedErr == nil {
			shared, sharedErr = startOnFreePort(sharedDir)
		}
	})
	if errors.Is(sharedErr, errNoServer) {
		unavailable(t)
	}
	if sharedErr != nil {
		t.Fatalf("redistest: starting redis-server: %v", sharedErr)
	}
	return shared.Addr()
}

var errNoServer = errors.New("no redis-server")

func unavailable(t testing.TB) {
	t.Helper()
	const msg = "redistest: no Redis: set " + EnvAddr + "=host:port or put redis-server (>= 6.2) on PATH " +
		"(Debian: apt-get install redis-server)"
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
		t.Fatal(msg + "; failing instead of skipping because CI=true")
	}
	t.Skip(msg)
}

// Prefix returns a key prefix that no other test uses ("test:<random>:").
// On a server given by TALENTCHAIN_REDIS_ADDR the prefix's keys are deleted
// when t ends.
func Prefix(t testing.TB) string {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	prefix := "test:" + hex.EncodeToString(b) + ":"
	if addr := os.Getenv(EnvAddr); addr != "" {
		t.Cleanup(func() { deletePrefix(t, addr, prefix) })
	}
	return prefix
}

func deletePrefix(t testing.TB, addr, prefix string) {
	c := goredis.NewClient(&goredis.Options{Addr: addr})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator() // the prefix is hex: no glob characters
	var batch []string
	for iter.Next(ctx) {
		if batch = append(batch, iter.Val()); len(batch) == 1000 {
			c.Unlink(ctx, batch...)
			batch = batch[:0]
		}
	}
	if len(batch) > 0 {
		c.Unlink(ctx, batch...)
	}
	if err := iter.Err(); err != nil {
		t.Logf("redistest: deleting the keys of %s: %v", prefix, err)
	}
}

// Config returns a store configuration for the test server with a prefix of
// t's own and short timeouts.
func Config(t testing.TB) redisstore.Config {
	t.Helper()
	return redisstore.Config{
		Addr:        Addr(t),
		Prefix:      Prefix(t),
		DialTimeout: 2 * time.Second,
	}
}

// Open returns a store on the test server with a prefix of t's own, closed
// when t ends.
func Open(t testing.TB) *redisstore.Store {
	t.Helper()
	return OpenConfig(t, Config(t))
}

// OpenConfig opens a store with cfg, closed when t ends.
func OpenConfig(t testing.TB, cfg redisstore.Config) *redisstore.Store {
	t.Helper()
	s, err := redisstore.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Server is a redis-server process of a test's own, for tests that stop and
// restart Redis to see how their code behaves during an outage. Its data is
// not persisted: a restarted server is empty.
type Server struct {
	dir  string
	port int

	mu   sync.Mutex
	proc *proc
}

// Start starts a redis-server on a free loopback port for t alone and stops
// it when t ends. It needs redis-server on PATH (TALENTCHAIN_REDIS_ADDR is
// not used: the test will kill the server); without it t is skipped, or
// failed when CI=true.
func Start(t testing.TB) *Server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		unavailable(t)
	}
	s, err := startOnFreePort(t.TempDir())
	if err != nil {
		t.Fatalf("redistest: starting redis-server: %v", err)
	}
	t.Cleanup(func() { s.stop(syscall.SIGKILL) })
	return s
}

// Addr returns the server's host:port, which stays the same across Restart.
func (s *Server) Addr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
}

// Stop kills the server (SIGKILL, like a crash) and waits until it is gone.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	s.stop(syscall.SIGKILL)
}

// Restart starts the server again on the same port, empty.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.stop(syscall.SIGKILL)
	if err := s.start(); err != nil {
		t.Fatalf("redistest: restarting redis-server on port %d: %v", s.port, err)
	}
}

func (s *Server) stop(sig syscall.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return
	}
	s.proc.cmd.Process.Signal(sig)
	select {
	case <-s.proc.done:
	case <-time.After(5 * time.Second):
		s.proc.cmd.Process.Kill()
		<-s.proc.done
	}
	s.proc = nil
}

func startOnFreePort(dir string) (*Server, error) {
	var err error
	for range 5 { // another process may take the port between probe and start
		var port int
		if port, err = freePort(); err != nil {
			return nil, err
		}
		s := &Server{dir: dir, port: port}
		if err = s.start(); err == nil {
			return s, nil
		}
	}
	return nil, err
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	logPath := filepath.Join(s.dir, fmt.Sprintf("redis-%d.log", s.port))
	cmd := exec.Command("redis-server",
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--dir", s.dir,
		"--logfile", logPath,
		"--daemonize", "no",
	)
	p, err := spawn(cmd)
	if err != nil {
		return err
	}
	if err := waitReady(s.Addr(), p.done, 10*time.Second); err != nil {
		p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%w\n%s", err, tail(logPath))
	}
	s.proc = p
	return nil
}

// waitReady waits until the server answers PING, its process exits, or the
// timeout passes.
func waitReady(addr string, exited <-chan struct{}, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-exited:
			return errors.New("redis-server exited while starting")
		default:
		}
		if ping(addr) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redis-server on %s not ready after %v", addr, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func ping(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "+PONG")
}

func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}
