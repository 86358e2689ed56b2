package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func testEnv(vars map[string]string) (*env, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return &env{stdout: &out, stderr: &errOut, getenv: func(k string) string { return vars[k] }}, &out, &errOut
}

func TestDispatch(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"no command", nil, 2, "", "Usage: talentchain"},
		{"help lists commands", []string{"help"}, 0, "serve", ""},
		{"--help lists commands", []string{"--help"}, 0, "Commands:", ""},
		{"help of serve", []string{"help", "serve"}, 0, "-addr", ""},
		{"help of help", []string{"help", "help"}, 0, "Commands:", ""},
		{"help of gov", []string{"help", "gov"}, 0, "rotate-key", ""},
		{"gov action help", []string{"gov", "accredit", "-h"}, 0, "", "-gov-key"},
		{"help of unknown", []string{"help", "mint"}, 2, "", `unknown command "mint"`},
		{"serve -h", []string{"serve", "-h"}, 0, "", "TALENTCHAIN_DATA"},
		{"unknown command", []string{"mint"}, 2, "", `unknown command "mint"`},
		{"serve unknown flag", []string{"serve", "--port", "80"}, 2, "", "flag provided but not defined: -port"},
		{"serve stray argument", []string{"serve", "now"}, 2, "", "unexpected arguments: now"},
		{"serve bad addr", []string{"serve", "--addr", "8080"}, 2, "", "--addr"},
		{"serve bad log format", []string{"serve", "--log-format", "xml"}, 2, "", "--log-format"},
		{"serve bad log level", []string{"serve", "--log-level", "loud"}, 2, "", "log-level"},
		{"serve tiny body limit", []string{"serve", "--max-body", "10"}, 2, "", "--max-body"},
		{"serve chain-rpc not a URL", []string{"serve", "--chain-rpc", "node1:26657"}, 2, "", "--chain-rpc"},
		{"serve chain-listen without tcp", []string{"serve", "--chain-listen", "127.0.0.1:26657"}, 2, "", "--chain-listen"},
		{"serve block interval too short", []string{"serve", "--block-interval", "1ms"}, 2, "", "--block-interval"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, out, errOut := testEnv(nil)
			if code := run(context.Background(), e, tt.args); code != tt.wantCode {
				t.Errorf("exit code %d, want %d; stderr %s", code, tt.wantCode, errOut)
			}
			if !strings.Contains(out.String(), tt.wantStdout) {
				t.Errorf("stdout %q lacks %q", out, tt.wantStdout)
			}
			if !strings.Contains(errOut.String(), tt.wantStderr) {
				t.Errorf("stderr %q lacks %q", errOut, tt.wantStderr)
			}
		})
	}
}

func TestParseServe(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		want    func(c config) bool
		wantErr string
	}{
		{"defaults", nil, nil, func(c config) bool {
			return c.dataDir == "./talentchain-data" && c.addr == "127.0.0.1:8080" && c.logFormat == "text" && c.logLevel == slog.LevelInfo && c.ui.MaxBodyBytes == 1<<20
		}, ""},
		{"environment", map[string]string{"TALENTCHAIN_DATA": "/srv/tc", "TALENTCHAIN_ADDR": "0.0.0.0:9000", "TALENTCHAIN_LOG_FORMAT": "json", "TALENTCHAIN_LOG_LEVEL": "debug", "TALENTCHAIN_SHUTDOWN_TIMEOUT": "3s"}, nil, func(c config) bool {
			return c.dataDir == "/srv/tc" && c.addr == "0.0.0.0:9000" && c.logFormat == "json" && c.logLevel == slog.LevelDebug && c.shutdownTimeout == 3*time.Second
		}, ""},
		{"flags win over environment", map[string]string{"TALENTCHAIN_DATA": "/srv/tc", "TALENTCHAIN_ADDR": "0.0.0.0:9000"}, []string{"--data", "d", "-addr", "[::1]:8081"}, func(c config) bool {
			return c.dataDir == "d" && c.addr == "[::1]:8081"
		}, ""},
		{"chain defaults: embedded node, RPC on 26657", nil, nil, func(c config) bool {
			return c.chain.remote == "" && c.chain.listen == "tcp://127.0.0.1:26657" && c.chain.blockInterval == 150*time.Millisecond
		}, ""},
		{"remote chain from the environment", map[string]string{"TALENTCHAIN_CHAIN_RPC": "http://10.0.0.5:26657", "TALENTCHAIN_CHAIN_GENESIS": "/etc/tc/genesis.json", "TALENTCHAIN_BLOCK_INTERVAL": "1s"}, nil, func(c config) bool {
			return c.chain.remote == "http://10.0.0.5:26657" && c.chain.genesis == "/etc/tc/genesis.json" && !c.chain.trustNode && c.chain.blockInterval == time.Second
		}, ""},
		{"remote chain, node trusted explicitly", nil, []string{"--chain-rpc", "http://10.0.0.5:26657", "--chain-trust-node"}, func(c config) bool {
			return c.chain.remote == "http://10.0.0.5:26657" && c.chain.trustNode && c.chain.genesis == ""
		}, ""},
		{"remote chain without a trust root", nil, []string{"--chain-rpc", "http://10.0.0.5:26657"}, nil, "--chain-genesis"},
		{"remote chain with both trust roots", nil, []string{"--chain-rpc", "http://10.0.0.5:26657", "--chain-genesis", "g.json", "--chain-trust-node"}, nil, "choose one"},
		{"genesis without a remote chain", map[string]string{"TALENTCHAIN_CHAIN_GENESIS": "g.json"}, nil, nil, "--chain-rpc"},
		{"no embedded RPC listener", nil, []string{"--chain-listen", ""}, func(c config) bool { return c.chain.listen == "" }, ""},
		{"bad environment value", map[string]string{"TALENTCHAIN_MAX_BODY": "lots"}, nil, nil, "TALENTCHAIN_MAX_BODY"},
		{"empty data", nil, []string{"--data", ""}, nil, "--data"},
		{"zero shutdown timeout", nil, []string{"--shutdown-timeout", "0s"}, nil, "--shutdown-timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _, _ := testEnv(tt.env)
			cfg, err := parseServe(e, tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.want(cfg) {
				t.Errorf("config = %+v", cfg)
			}
		})
	}
}
