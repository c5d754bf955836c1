package main

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/influx-py/influx-py/internal/fetch"
)

// s3serve BUCKET...: an S3-compatible server on loopback (gofakes3, in
// memory) for the rest of the script, its endpoint in $S3, the AWS
// variables pointed at it and nothing else, and every request logged to
// s3.log as "METHOD /bucket/key".
func cmdS3serve(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: s3serve BUCKET...")
	}
	be := s3mem.New()
	for _, b := range args {
		ts.Check(be.CreateBucket(b))
	}
	h := gofakes3.New(be).Server()
	srv := httptest.NewServer(logRequests(ts.MkAbs("s3.log"), h))
	ts.Defer(srv.Close)
	ts.Setenv("S3", srv.URL)
	ts.Setenv("AWS_ACCESS_KEY_ID", "influx-py-test")
	ts.Setenv("AWS_SECRET_ACCESS_KEY", "influx-py-test-secret")
	ts.Setenv("AWS_REGION", "us-east-1")
	ts.Setenv("AWS_CONFIG_FILE", ts.MkAbs(".aws-config"))
	ts.Setenv("AWS_SHARED_CREDENTIALS_FILE", ts.MkAbs(".aws-credentials"))
	ts.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// s3cp DIR BUCKET/PREFIX: upload every file under DIR to the server of
// s3serve, with influx-py's own S3 client.
func cmdS3cp(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: s3cp DIR BUCKET/PREFIX")
	}
	base, err := fetch.ParseS3("s3::" + ts.Getenv("S3") + "/" + args[1])
	ts.Check(err)
	// The AWS SDK reads the process environment: give it the script's.
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_EC2_METADATA_DISABLED"} {
		os.Setenv(k, ts.Getenv(k))
	}
	root := ts.MkAbs(args[0])
	c := &fetch.Client{}
	ts.Check(filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() || strings.HasPrefix(fi.Name(), ".") {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return c.S3Put(context.Background(), base.Join(filepath.ToSlash(rel)), data)
	}))
}
