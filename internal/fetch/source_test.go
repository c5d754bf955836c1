package fetch

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// s3Server is an S3-compatible server on loopback, with the AWS
// environment pointed at nothing but it.
func s3Server(t *testing.T, buckets ...string) string {
	t.Helper()
	be := s3mem.New()
	for _, b := range buckets {
		if err := be.CreateBucket(b); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(gofakes3.New(be).Server())
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return srv.URL
}

func TestParseS3(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want S3Location
		bad  string
	}{
		{in: "s3://bucket/a/b.toml", want: S3Location{Bucket: "bucket", Key: "a/b.toml"}},
		{in: "s3://bucket", want: S3Location{Bucket: "bucket"}},
		{in: "s3::https://s3.amazonaws.com/bucket/k", want: S3Location{Bucket: "bucket", Key: "k"}},
		{in: "s3::https://s3.eu-west-1.amazonaws.com/bucket/k", want: S3Location{Bucket: "bucket", Key: "k", Region: "eu-west-1"}},
		{in: "s3::https://s3-eu-west-1.amazonaws.com/bucket/k", want: S3Location{Bucket: "bucket", Key: "k", Region: "eu-west-1"}},
		{in: "s3::https://bucket.s3.us-west-2.amazonaws.com/k/l", want: S3Location{Bucket: "bucket", Key: "k/l", Region: "us-west-2"}},
		{in: "s3::http://127.0.0.1:9000/fleet/status/?region=eu-1", want: S3Location{Bucket: "fleet", Key: "status/", Endpoint: "http://127.0.0.1:9000", Region: "eu-1"}},
		{in: "s3://bucket/k?aws_profile=ops", want: S3Location{Bucket: "bucket", Key: "k", Profile: "ops"}},
		{in: "s3://bucket/k?aws_access_key_id=AKIA&aws_access_key_secret=SECRET", bad: "credentials in the URL are refused"},
		{in: "s3::https://user:pw@minio/b/k", bad: "credentials in the URL are refused"},
		{in: "s3://bucket/k?version=3", bad: `unknown parameter "version"`},
		{in: "s3::ftp://host/b/k", bad: "want s3://BUCKET/KEY"},
		{in: "s3::https://minio.example/", bad: "no bucket"},
	} {
		got, err := ParseS3(tt.in)
		if tt.bad != "" {
			if err == nil || !strings.Contains(err.Error(), tt.bad) || strings.Contains(err.Error(), "=SECRET") || strings.Contains(err.Error(), ":pw@") {
				t.Errorf("ParseS3(%q) = %v, want an error with %q and no secret", tt.in, err, tt.bad)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseS3(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestS3PutGetList(t *testing.T) {
	url := s3Server(t, "fleet")
	c := &Client{}
	ctx := context.Background()
	base, err := ParseS3("s3::" + url + "/fleet/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"node1.json", "node2.json", "deep/node3.json"} {
		if err := c.S3Put(ctx, base.Join(n), []byte(`{"node":"`+n+`"}`)); err != nil {
			t.Fatalf("put %s: %v", n, err)
		}
	}
	objs, err := c.S3List(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range objs {
		keys = append(keys, o.Key)
	}
	if strings.Join(keys, " ") != "deep/node3.json node1.json node2.json" {
		t.Errorf("list = %v", keys)
	}
	dst := filepath.Join(t.TempDir(), "n1.json")
	if err := c.GetFile(ctx, "s3::"+url+"/fleet/status/node1.json", dst, 1<<20); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(dst); string(data) != `{"node":"node1.json"}` {
		t.Errorf("got %q", data)
	}
	// A missing key is "not there", not a network failure.
	err = c.GetFile(ctx, "s3::"+url+"/fleet/status/nope.json", dst, 1<<20)
	var gone *UnreachableError
	if !errors.As(err, &gone) || !errors.Is(gone.Err, fs.ErrNotExist) {
		t.Errorf("missing key: %v, want an UnreachableError of ErrNotExist", err)
	}
	// Too large is refused, and dst keeps what it had.
	if err := c.GetFile(ctx, "s3::"+url+"/fleet/status/node1.json", dst, 4); err == nil {
		t.Error("an object over the limit was accepted")
	}
	if data, _ := os.ReadFile(dst); string(data) != `{"node":"node1.json"}` {
		t.Errorf("a refused download changed dst: %q", data)
	}
	// A whole prefix, as a folder.
	out := filepath.Join(t.TempDir(), "status")
	if err := c.GetDir(ctx, "s3::"+url+"/fleet/status", out); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(out, "deep", "node3.json")); !strings.Contains(string(data), "node3") {
		t.Errorf("GetDir of a prefix: %q", data)
	}
}

// An s3:// source reaches the endpoint the AWS configuration names
// (MinIO and the like: the bucket in the path), signed with the keys of
// the profile the URL asks for.
func TestS3ConfiguredEndpoint(t *testing.T) {
	be := s3mem.New()
	if err := be.CreateBucket("fleet"); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen []string
	fake := gofakes3.New(be).Server()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.Host+r.URL.Path+" "+strings.Fields(r.Header.Get("Authorization") + " x x")[1])
		mu.Unlock()
		fake.ServeHTTP(w, r)
	}))
	defer srv.Close()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "credentials"), []byte("[ops]\naws_access_key_id = OPSKEY\naws_secret_access_key = s\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "config"), []byte("[profile ops]\nregion = eu-central-1\nendpoint_url = "+srv.URL+"\n"), 0o600)
	env := map[string]string{
		"HOME": dir, "AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_ACCESS_KEY_ID": "ENVKEY", "AWS_SECRET_ACCESS_KEY": "s", "AWS_EC2_METADATA_DISABLED": "true",
	}
	c := &Client{Getenv: func(k string) string { return env[k] }}
	ctx := context.Background()
	loc, err := ParseS3("s3://fleet/status/node1.json?aws_profile=ops")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.S3Put(ctx, loc, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "got.json")
	if err := c.S3Get(ctx, loc, dst, 1<<10); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(dst); string(data) != "{}" {
		t.Errorf("got %q", data)
	}
	host := strings.TrimPrefix(srv.URL, "http://")
	want := []string{
		"PUT " + host + "/fleet/status/node1.json Credential=OPSKEY/",
		"GET " + host + "/fleet/status/node1.json Credential=OPSKEY/",
	}
	if len(seen) != 2 || !strings.HasPrefix(seen[0], want[0]) || !strings.HasPrefix(seen[1], want[1]) || !strings.Contains(seen[0], "/eu-central-1/s3/") {
		t.Errorf("requests:\n%s\nwant them to start with:\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}
}

func tarGz(t *testing.T, files map[string]string) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, body := range files {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(body))
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

func TestGetDirArchives(t *testing.T) {
	archive := tarGz(t, map[string]string{"wh/a-1.0-py3-none-any.whl": "A", "wh/pylock.toml": "L"})
	sum := sha256.Sum256(archive)
	hexsum := hex.EncodeToString(sum[:])
	fails := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/flaky.tar.gz" && fails < 1 {
			fails++
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.Write(archive)
	}))
	defer srv.Close()
	c := &Client{}
	ctx := context.Background()
	for _, src := range []string{
		srv.URL + "/wh.tar.gz",
		srv.URL + "/wh.tar.gz?checksum=sha256:" + hexsum,
		srv.URL + "/flaky.tar.gz", // a 503 is asked again
	} {
		out := filepath.Join(t.TempDir(), "out")
		if err := c.GetDir(ctx, src, out); err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if data, _ := os.ReadFile(filepath.Join(out, "wh", "pylock.toml")); string(data) != "L" {
			t.Errorf("%s: unpacked %q", src, data)
		}
	}
	out := filepath.Join(t.TempDir(), "out")
	err := c.GetDir(ctx, srv.URL+"/wh.tar.gz?checksum=sha256:"+strings.Repeat("0", 64), out)
	if err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("a wrong checksum= = %v", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a refused archive left %s", out)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".*")); len(left) != 0 {
		t.Errorf("a refused archive left %v", left)
	}
}

func TestGetDirGit(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("no git on PATH: git sources are not exercised")
	}
	repo := t.TempDir()
	run := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command(git, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	work := filepath.Join(repo, "work")
	os.MkdirAll(work, 0o755)
	run(work, "init", "-q", "-b", "main")
	os.WriteFile(filepath.Join(work, "pylock.toml"), []byte("lock-version = \"1.0\"\n"), 0o644)
	run(work, "add", ".")
	run(work, "commit", "-q", "-m", "lock")
	run(repo, "clone", "-q", "--bare", work, "fleet.git")
	out := filepath.Join(t.TempDir(), "clone")
	if err := (&Client{}).GetDir(context.Background(), "git::file://"+filepath.Join(repo, "fleet.git"), out); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(out, "pylock.toml")); !strings.Contains(string(data), "lock-version") {
		t.Errorf("clone: %q", data)
	}
}

func TestSourceKinds(t *testing.T) {
	for _, tt := range []struct {
		in                   string
		remote, archive, git bool
	}{
		{in: "/srv/wheelhouse"},
		{in: "file:///srv/wheelhouse"},
		{in: "https://h/wh/", remote: true},
		{in: "https://h/wh.tar.gz?checksum=sha256:00", remote: true, archive: true},
		{in: "s3://b/wh/", remote: true},
		{in: "s3::http://127.0.0.1:9000/b/wh.zip", remote: true, archive: true},
		{in: "git::https://h/r.git?ref=v1", remote: true, git: true},
	} {
		if IsRemote(tt.in) != tt.remote || IsArchive(tt.in) != tt.archive || IsGit(tt.in) != tt.git {
			t.Errorf("%q: remote %v archive %v git %v", tt.in, IsRemote(tt.in), IsArchive(tt.in), IsGit(tt.in))
		}
	}
	if err := (&Client{}).GetFile(context.Background(), "gcs::https://www.googleapis.com/storage/v1/b/x", filepath.Join(t.TempDir(), "x"), 1); err == nil || !strings.Contains(err.Error(), "S3-compatible API") {
		t.Errorf("gcs: %v", err)
	}
	if got := Join("s3::http://h:1/b/wh?region=x", "a b.whl"); got != "s3::http://h:1/b/wh/a%20b.whl?region=x" {
		t.Errorf("Join = %q", got)
	}
}

// One Client reads many objects on one set of credentials: with a web
// identity (EKS), STS is asked once, not once an object.
func TestS3CredentialsOncePerClient(t *testing.T) {
	be := s3mem.New()
	if err := be.CreateBucket("fleet"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(be).Server())
	defer srv.Close()
	var stsCalls atomic.Int32
	sts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stsCalls.Add(1)
		w.Write([]byte(`<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>WEBKEY</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`))
	}))
	defer sts.Close()
	dir := t.TempDir()
	token := filepath.Join(dir, "token")
	os.WriteFile(token, []byte("jwt"), 0o600)
	env := map[string]string{
		"HOME": dir, "AWS_WEB_IDENTITY_TOKEN_FILE": token, "AWS_ROLE_ARN": "arn:aws:iam::1:role/node",
		"AWS_ENDPOINT_URL_STS": sts.URL, "AWS_EC2_METADATA_DISABLED": "true",
	}
	c := &Client{Getenv: func(k string) string { return env[k] }}
	ctx := context.Background()
	base, err := ParseS3("s3::" + srv.URL + "/fleet/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a.json", "b.json", "c.json"} {
		if err := c.S3Put(ctx, base.Join(n), []byte("{}")); err != nil {
			t.Fatal(err)
		}
	}
	objs, err := c.S3List(ctx, base)
	if err != nil || len(objs) != 3 {
		t.Fatalf("list: %v, %v", objs, err)
	}
	for _, o := range objs {
		if err := c.S3Get(ctx, base.Join(o.Key), filepath.Join(dir, o.Key), 1<<10); err != nil {
			t.Fatal(err)
		}
	}
	if n := stsCalls.Load(); n != 1 {
		t.Errorf("STS was asked %d times for 7 requests of one Client, want 1", n)
	}
}
