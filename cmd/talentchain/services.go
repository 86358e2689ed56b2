package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/talentchain/talentchain/courses"
	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/internal/seal"
	"github.com/talentchain/talentchain/issuer"
	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/store/bolt"
	"github.com/talentchain/talentchain/store/redis"
)

// storeFile is the embedded store's file in the data folder.
const storeFile = "store.db"

// openStore opens the store every service keeps its records in: the embedded
// bbolt file <data>/store.db, or the Redis server of --redis.
func openStore(ctx context.Context, cfg config, log *slog.Logger) (store.Store, error) {
	if cfg.redisURL == "" {
		s, err := bolt.Open(filepath.Join(cfg.dataDir, storeFile), bolt.Config{Logger: log.With(slog.String("component", "store"))})
		if err != nil {
			return nil, fmt.Errorf("embedded store: %w", err)
		}
		return s, nil
	}
	rc, err := redisConfig(cfg.redisURL)
	if err != nil {
		return nil, err
	}
	s, err := redis.Open(ctx, rc)
	if err != nil {
		return nil, fmt.Errorf("redis store %s: %w", rc.Addr, err)
	}
	log.Info("using redis", slog.String("addr", rc.Addr), slog.Int("db", rc.DB), slog.String("prefix", rc.Prefix))
	return s, nil
}

// redisConfig parses --redis: redis://[user:password@]host:port[/db][?prefix=p].
func redisConfig(raw string) (redis.Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return redis.Config{}, fmt.Errorf("--redis: %w", err)
	}
	if u.Scheme != "redis" || u.Host == "" {
		return redis.Config{}, fmt.Errorf("--redis %q: want redis://[user:password@]host:port[/db][?prefix=name:]", u.Redacted())
	}
	rc := redis.Config{Addr: u.Host, Prefix: "talentchain:"}
	if !strings.Contains(u.Host, ":") {
		rc.Addr = u.Host + ":6379"
	}
	if u.User != nil {
		rc.Username = u.User.Username()
		rc.Password, _ = u.User.Password()
		if rc.Password == "" {
			rc.Username, rc.Password = "", u.User.Username()
		}
	}
	if db := strings.Trim(u.Path, "/"); db != "" {
		n, err := strconv.Atoi(db)
		if err != nil || n < 0 {
			return redis.Config{}, fmt.Errorf("--redis: database %q is not a number", db)
		}
		rc.DB = n
	}
	if p, ok := u.Query()["prefix"]; ok {
		rc.Prefix = p[0]
	}
	return rc, nil
}

// openServices builds the issuer and courses services over st. The issuer
// registers organisations through the embedded node's governance key when
// there is one; with a remote chain, registration is voted elsewhere.
func (a *app) openServices(cfg config, st store.Store, loader *credential.Loader, log *slog.Logger) error {
	keys, err := seal.Load(cfg.dataDir, os.Getenv(seal.EnvMasterKey))
	if err != nil {
		return fmt.Errorf("secrets: %w", err)
	}
	var opts []issuer.Option
	if a.node != nil {
		gov, err := issuer.NewLocalGovernance(a.chain, a.chainID, a.node.GovernanceKey())
		if err != nil {
			return err
		}
		a.gov = gov
		opts = append(opts, issuer.WithGovernance(gov))
	}
	iss, err := issuer.New(issuer.Config{
		ChainID:    a.chainID,
		BaseURL:    cfg.publicURL,
		BatchDelay: cfg.batchDelay,
		Logger:     log.With(slog.String("component", "issuer")),
	}, store.WithPrefix(st, "issuer/"), keys, a.chain, loader, opts...)
	if err != nil {
		return fmt.Errorf("issuer service: %w", err)
	}
	a.closers = append(a.closers, iss.Close)
	a.issuer = iss

	crs, err := courses.New(courses.Config{
		Store:    store.WithPrefix(st, "courses/"),
		Issuer:   certificateIssuer{iss},
		Location: cfg.location,
	})
	if err != nil {
		return fmt.Errorf("courses service: %w", err)
	}
	a.courses = crs
	return nil
}

// recoverServices finishes what a previous run left: anchoring batches and
// pending credentials. It runs once the chain answers, and reports whether
// it finished (false: ctx ended first).
func (a *app) recoverServices(ctx context.Context, log *slog.Logger) bool {
	for !a.chainUp.Load() {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
	for attempt := 0; ; attempt++ {
		n, err := a.issuer.Recover(ctx)
		if err == nil {
			if n > 0 {
				log.Info("recovered unanchored credentials", slog.Int("credentials", n))
			}
			a.recovered.Store(true)
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		log.Warn("recovery failed; retrying", slog.String("error", err.Error()), slog.Int("attempt", attempt))
		select {
		case <-ctx.Done():
			return false
		case <-time.After(min(time.Duration(attempt+1)*time.Second, 30*time.Second)):
		}
	}
}

// completionRetryEvery is how often completions whose certificate could not
// be issued (the issuer was suspended, the chain away) are tried again.
const completionRetryEvery = 30 * time.Second

// retryCompletions completes again, every period until ctx ends, the
// completions recorded without a certificate: the courses service keeps
// them "completing", and the completion's idempotency key makes a retry
// issue at most one certificate.
func (a *app) retryCompletions(ctx context.Context, period time.Duration, log *slog.Logger) {
	for {
		if n, err := a.retryCompletionsOnce(ctx); err != nil && ctx.Err() == nil {
			log.Warn("retrying pending course completions", slog.String("error", err.Error()))
		} else if n > 0 {
			log.Info("issued pending course certificates", slog.Int("certificates", n))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(period):
		}
	}
}

// retryCompletionsOnce walks the catalogue once and returns how many
// pending completions got their certificate.
func (a *app) retryCompletionsOnce(ctx context.Context) (int, error) {
	done := 0
	var errs []error
	q := courses.Query{Limit: 500}
	for {
		page, err := a.courses.Search(ctx, q)
		if err != nil {
			return done, err
		}
		for _, c := range page.Courses {
			learners, err := a.courses.Pending(ctx, c.Ref())
			if err != nil {
				errs = append(errs, err)
				continue
			}
			for _, l := range learners {
				if _, err := a.courses.Complete(ctx, c.Ref(), l); err != nil {
					errs = append(errs, fmt.Errorf("%s %s: %w", c.Ref(), l, err))
					continue
				}
				done++
			}
		}
		if page.Next == "" {
			return done, errors.Join(errs...)
		}
		q.After = page.Next
	}
}

// certificateIssuer issues the certificate of a completed course through the
// issuer service: courses.CertificateIssuer over *issuer.Service. The
// completion's idempotency key becomes the issuer's, so a retried completion
// gets the credential the first call issued.
type certificateIssuer struct{ s *issuer.Service }

// courseTypes maps the courses service's certificate types to credential types.
var courseTypes = map[string]string{
	"TrainingCertificate": "TrainingCertificateCredential",
	"CourseCompletion":    "CourseCompletionCredential",
}

// IssueCourseCredential implements courses.CertificateIssuer.
func (c certificateIssuer) IssueCourseCredential(ctx context.Context, req courses.CertificateRequest) (string, error) {
	typ, ok := courseTypes[req.Type]
	if !ok {
		if _, known := reverse(courseTypes)[req.Type]; !known {
			return "", fmt.Errorf("certificate type %q: %w", req.Type, issuer.ErrInvalid)
		}
		typ = req.Type
	}
	subject := req.Subject()
	delete(subject, "id")
	rec, err := c.s.Submit(ctx, req.Provider, &issuer.Request{
		Type:           typ,
		Subject:        subject,
		Holder:         req.Holder,
		IdempotencyKey: "course:" + req.IdempotencyKey,
	})
	if err != nil {
		return "", err
	}
	return rec.ID, nil
}

func reverse(m map[string]string) map[string]string {
	r := make(map[string]string, len(m))
	for k, v := range m {
		r[v] = k
	}
	return r
}

// adminTokenFile holds the operator's admin token in the data folder.
const adminTokenFile = "admin.token"

// loadAdminToken returns the operator's admin token: env when set (at least
// 32 characters), else <data>/admin.token, created mode 0600 with a random
// token on first start. Like master.key, a file readable by group or others
// is refused.
func loadAdminToken(dataDir, env string) (string, error) {
	if env = strings.TrimSpace(env); env != "" {
		if len(env) < 32 {
			return "", fmt.Errorf("TALENTCHAIN_ADMIN_TOKEN: at least 32 characters")
		}
		return env, nil
	}
	path := filepath.Join(dataDir, adminTokenFile)
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return "", err
		}
		tok := "tcadm_" + base64.RawURLEncoding.EncodeToString(b)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return "", fmt.Errorf("admin token: %w", err)
		}
		_, werr := f.WriteString(tok + "\n")
		if err := errors.Join(werr, f.Close()); err != nil {
			return "", fmt.Errorf("admin token: %w", err)
		}
		return tok, nil
	}
	if err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("admin token %s is readable by other users (mode %v): chmod 600 it", path, fi.Mode().Perm())
	}
	tok := strings.TrimSpace(string(raw))
	if len(tok) < 32 {
		return "", fmt.Errorf("admin token %s: shorter than 32 characters", path)
	}
	return tok, nil
}
