package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/influx-py/influx-py/internal/backends"
	"github.com/influx-py/influx-py/internal/uvbin"
)

// The pinned uv 0.12.18 cannot be had on a machine without GitHub, so the
// tests of the whole pinned path (a release archive downloaded or carried
// in a wheelhouse, checked against its pin, extracted, run) pin a release
// of their own: the real uv of INFLUX_PY_TEST_UV packed the way uv's
// releases are. Only the pin table differs from what influx-py ships.

// testRelease packs the uv at path as a release archive for this machine.
func testRelease(path string) (archive []byte, pin uvbin.Pin, version string, err error) {
	out, err := exec.Command(path, "--version").Output()
	if err != nil {
		return nil, pin, "", fmt.Errorf("%s --version: %w", path, err)
	}
	v, err := uvbin.ParseVersionOutput(string(out))
	if err != nil {
		return nil, pin, "", err
	}
	target, err := uvbin.HostTarget()
	if err != nil {
		return nil, pin, "", err
	}
	bin, err := os.ReadFile(path)
	if err != nil {
		return nil, pin, "", err
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.HuffmanOnly) // fast, and the same bytes every time
	tw := tar.NewWriter(zw)
	top := "uv-" + target + "/"
	for _, m := range []struct {
		name string
		body []byte
	}{{top + "uv", bin}, {top + "uvx", []byte("#!/bin/sh\nexit 0\n")}} {
		h := &tar.Header{Name: m.name, Mode: 0o755, Size: int64(len(m.body)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(h); err != nil {
			return nil, pin, "", err
		}
		tw.Write(m.body)
	}
	tw.Close()
	zw.Close()
	sum := sha256.Sum256(buf.Bytes())
	return buf.Bytes(), uvbin.Pin{Target: target, Archive: "uv-" + target + ".tar.gz", SHA256: hex.EncodeToString(sum[:])}, v.Version, nil
}

// cmdMkuvrelease DIR: put the test release at DIR/<version>/<archive>, a
// --uv-mirror layout, and its pin in $TESTUV_PIN for influx-py-testuv.
func cmdMkuvrelease(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: mkuvrelease DIR")
	}
	uv := os.Getenv("INFLUX_PY_TEST_UV")
	if uv == "" {
		ts.Fatalf("mkuvrelease needs INFLUX_PY_TEST_UV (guard the script with [have:TESTUV])")
	}
	archive, pin, version, err := testRelease(uv)
	ts.Check(err)
	dir := filepath.Join(ts.MkAbs(args[0]), version)
	ts.Check(os.MkdirAll(dir, 0o755))
	ts.Check(os.WriteFile(filepath.Join(dir, pin.Archive), archive, 0o644))
	ts.Setenv("TESTUV_PIN", strings.Join([]string{version, pin.Target, pin.Archive, pin.SHA256}, " "))
	ts.Setenv("TESTUV_VERSION", version)
	ts.Setenv("TESTUV_SHA256", pin.SHA256)
}

// runTestUV is influx-py with the pin of $TESTUV_PIN in place of the
// shipped ones.
func runTestUV() int {
	f := strings.Fields(os.Getenv("TESTUV_PIN"))
	if len(f) != 4 {
		fmt.Fprintln(os.Stderr, "influx-py-testuv: TESTUV_PIN is not set: run mkuvrelease first")
		return 2
	}
	return runWith(backends.Real{Version: f[0], Pins: []uvbin.Pin{{Target: f[1], Archive: f[2], SHA256: f[3]}}}, nil)
}
