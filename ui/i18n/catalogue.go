package i18n

import "fmt"

// msg is one message in both languages.
type msg struct{ zh, en string }

// M is a catalogue part: key → {Chinese, English}.
type M map[string][2]string

// catalogue holds every message. Each area of the pages adds its own part
// from its own file (catalogue_*.go) with Add, so that they do not clash.
var catalogue = map[string]msg{}

// Add adds part to the catalogue; a key added twice, or a message missing
// one of its languages, panics at start-up (and in the catalogue test).
func Add(part M) {
	for k, v := range part {
		if _, dup := catalogue[k]; dup {
			panic(fmt.Sprintf("i18n: message %q added twice", k))
		}
		if v[0] == "" || v[1] == "" {
			panic(fmt.Sprintf("i18n: message %q lacks a language", k))
		}
		catalogue[k] = msg{zh: v[0], en: v[1]}
	}
}

// Has reports whether key is in the catalogue.
func Has(key string) bool {
	_, ok := catalogue[key]
	return ok
}
