// Package fonts embeds the fonts TalentChain draws its printable documents
// with, so a PDF renders the same on every machine and Chinese names never
// fall back to empty boxes.
//
// DroidSansFallbackFull.ttf is Google's Droid Sans Fallback (TrueType
// outlines; CJK ideographs and punctuation, Hiragana and Katakana, but no
// Latin letters and no Hangul), copied from Debian's fonts-droid-fallback
// package, under the Apache License 2.0 (LICENSE beside this file; see
// README.md for its origin).
// It is about 4 MB; a program that does not import this package does not
// carry it, and PDF writers embed only the glyphs a document uses.
package fonts

import _ "embed"

// DroidSansFallback is the TrueType font file DroidSansFallbackFull.ttf.
// Callers must not modify it.
//
//go:embed DroidSansFallbackFull.ttf
var DroidSansFallback []byte

// DroidSansFallbackName is the font's family name as its name table gives it.
const DroidSansFallbackName = "Droid Sans Fallback"
