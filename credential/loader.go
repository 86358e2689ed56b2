package credential

import (
	"embed"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/piprate/json-gold/ld"
)

// Context URLs of the standard documents embedded in the binary and of the
// project's own vocabulary.
const (
	ContextV1             = "https://www.w3.org/2018/credentials/v1"
	ContextV2             = "https://www.w3.org/ns/credentials/v2"
	ContextDataIntegrity  = "https://w3id.org/security/data-integrity/v2"
	ContextMultikey       = "https://w3id.org/security/multikey/v1"
	ContextEd25519_2020   = "https://w3id.org/security/suites/ed25519-2020/v1"
	ContextEd25519_2018   = "https://w3id.org/security/suites/ed25519-2018/v1"
	ContextDID            = "https://www.w3.org/ns/did/v1"
	ContextStatusList     = "https://www.w3.org/ns/credentials/status/v1"
	ContextExamplesV1     = "https://www.w3.org/2018/credentials/examples/v1"
	ContextExamplesV2     = "https://www.w3.org/ns/credentials/examples/v2"
	ContextODRL           = "https://www.w3.org/ns/odrl.jsonld"
	ContextTalentChainV1  = "https://w3id.org/talentchain/credentials/v1"
	talentChainVocabulary = "https://w3id.org/talentchain/vocab#"
)

//go:embed contexts/*.jsonld
var embeddedContexts embed.FS

// embeddedFiles maps each embedded context URL to its file.
var embeddedFiles = map[string]string{
	ContextV1:            "credentials-v1.jsonld",
	ContextV2:            "credentials-v2.jsonld",
	ContextDataIntegrity: "data-integrity-v2.jsonld",
	ContextMultikey:      "multikey-v1.jsonld",
	ContextEd25519_2020:  "ed25519-signature-2020-v1.jsonld",
	ContextEd25519_2018:  "ed25519-signature-2018-v1.jsonld",
	ContextDID:           "did-v1.jsonld",
	ContextStatusList:    "bitstring-status-list-v1.jsonld",
	ContextExamplesV1:    "credentials-examples-v1.jsonld",
	ContextExamplesV2:    "credentials-examples-v2.jsonld",
	ContextODRL:          "odrl.jsonld",
	ContextTalentChainV1: "talentchain-v1.jsonld",
}

// Loader is an offline JSON-LD document loader. It answers only from the
// contexts embedded in the binary and from the files an operator added; an
// unknown URL is an error wrapping ErrUnknownContext, never a network fetch.
//
// A Loader is immutable after construction and safe for concurrent use. It
// satisfies json-gold's ld.DocumentLoader, which aries-framework-go uses too.
type Loader struct {
	docs map[string]*ld.RemoteDocument
	raw  map[string][]byte

	// Caches shared by every canonicalizer of this loader: its documents
	// never change, so what is derived from them holds for its lifetime.
	cacheOnce sync.Once
	contexts  *ld.ContextCache
	templates *templates
}

// caches returns the loader's processed-context cache and expansion templates.
func (l *Loader) caches() (*ld.ContextCache, *templates) {
	l.cacheOnce.Do(func() {
		l.contexts = ld.NewContextCache()
		l.templates = newTemplates(l)
	})
	return l.contexts, l.templates
}

// NewLoader returns a loader with the embedded contexts. extraDirs are folders of
// operator-supplied context files: each *.json or *.jsonld file there must be a
// JSON object with a "url" member naming the context URL and a "document" member
// holding the context document, for example
//
//	{"url": "https://example.edu/contexts/v1", "document": {"@context": {...}}}
//
// An extra file cannot replace an embedded context.
func NewLoader(extraDirs ...string) (*Loader, error) {
	l := &Loader{docs: map[string]*ld.RemoteDocument{}, raw: map[string][]byte{}}
	for url, name := range embeddedFiles {
		b, err := embeddedContexts.ReadFile("contexts/" + name)
		if err != nil {
			return nil, fmt.Errorf("load embedded context %s: %w", url, err)
		}
		if err := l.add(url, b); err != nil {
			return nil, err
		}
	}
	for _, dir := range extraDirs {
		if err := l.addDir(dir); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// MustLoader returns NewLoader() with the embedded contexts only; the embedded
// files are part of the binary, so failing here is a build defect.
func MustLoader() *Loader {
	l, err := NewLoader()
	if err != nil {
		panic(err)
	}
	return l
}

func (l *Loader) addDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("read context folder: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !(strings.HasSuffix(name, ".json") || strings.HasSuffix(name, ".jsonld")) {
			continue
		}
		path := filepath.Join(dir, name)
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("read context file: %w", err)
		}
		var f struct {
			URL      string          `json:"url"`
			Document json.RawMessage `json:"document"`
		}
		if err := json.Unmarshal(b, &f); err != nil {
			return fmt.Errorf("context file %s: %w", path, err)
		}
		if !strings.HasPrefix(f.URL, "https://") && !strings.HasPrefix(f.URL, "http://") && !strings.HasPrefix(f.URL, "urn:") {
			return fmt.Errorf("context file %s: url %q must be an absolute http(s) or urn URL", path, f.URL)
		}
		if _, dup := l.raw[f.URL]; dup {
			return fmt.Errorf("context file %s: %s is already loaded and cannot be replaced", path, f.URL)
		}
		if err := l.add(f.URL, f.Document); err != nil {
			return fmt.Errorf("context file %s: %w", path, err)
		}
	}
	return nil
}

func (l *Loader) add(url string, b []byte) error {
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("context %s: %w", url, err)
	}
	if _, ok := doc["@context"]; !ok {
		return fmt.Errorf("context %s: no @context member", url)
	}
	l.raw[url] = b
	l.docs[url] = &ld.RemoteDocument{DocumentURL: url, Document: doc}
	return nil
}

// LoadDocument implements ld.DocumentLoader. It never touches the network.
func (l *Loader) LoadDocument(u string) (*ld.RemoteDocument, error) {
	if d, ok := l.docs[u]; ok {
		return d, nil
	}
	return nil, ld.NewJsonLdError(ld.LoadingDocumentFailed, fmt.Errorf("%w: %s", ErrUnknownContext, u))
}

// Has reports whether the loader knows the context URL.
func (l *Loader) Has(u string) bool {
	_, ok := l.docs[u]
	return ok
}

// URLs lists the known context URLs in sorted order.
func (l *Loader) URLs() []string {
	return slices.Sorted(maps.Keys(l.docs))
}

// Bytes returns the context document exactly as embedded or added.
func (l *Loader) Bytes(u string) ([]byte, bool) {
	b, ok := l.raw[u]
	return b, ok
}
