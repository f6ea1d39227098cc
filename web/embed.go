// Package web serves the admin dashboard: the React app in this directory,
// built by `npm run build` (or `make web-build`) into dist/ and embedded in
// the server binary.
//
// dist/ always holds a committed, empty .gitkeep, so the package compiles on
// a fresh clone before any UI build; Handler then answers with a page that
// says how to build the UI.
package web

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Dist returns the embedded UI build: index.html at its root and the hashed
// assets under assets/.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		// fs.Sub fails only on an invalid path, and "dist" is valid.
		panic(err)
	}
	return sub
}
