package realnet

import (
	"crypto/tls"
	"io"
	"os"
	"sync"
)

// KeyLogEnv names the environment variable that asks for a key log: the
// file the TLS and DTLS session secrets are appended to, in the NSS key log
// format Wireshark reads (tls.keylog_file), so that captures of our secure
// transports can be decrypted. It weakens every session it logs: a
// debugging aid only.
const KeyLogEnv = "SSLKEYLOGFILE"

// KeyLogFromEnv opens the key log SSLKEYLOGFILE names (appending, created
// 0600); nil and no error when the variable is unset.
func KeyLogFromEnv() (io.WriteCloser, error) {
	path := os.Getenv(KeyLogEnv)
	if path == "" {
		return nil, nil
	}
	return OpenKeyLog(path)
}

// OpenKeyLog opens a key log file for appending. Writes are serialized:
// crypto/tls and pion/dtls write from the goroutines of their handshakes.
func OpenKeyLog(path string) (io.WriteCloser, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	return &lockedWriter{w: f}, nil
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.WriteCloser
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Close()
}

// withKeyLog makes a TLS configuration log its secrets to the host's key
// log, if it has one.
func (h *Host) withKeyLog(cfg *tls.Config) *tls.Config {
	if h.KeyLog != nil {
		cfg.KeyLogWriter = h.KeyLog
	}
	return cfg
}
