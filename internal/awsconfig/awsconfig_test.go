package awsconfig

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseShared(t *testing.T) {
	f, err := parseShared("config", []byte(`# a comment
[default]
region = eu-west-1 ; why
[profile  minio]
endpoint_url=http://minio:9000
s3 =
  addressing_style = path
  endpoint_url = http://s3.minio:9000
x#y = kept
services = local

[services local]
sts =
	endpoint_url = http://sts.local
[profile minio]
output = json
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ sec, key, sub, want string }{
		{"default", "region", "", "eu-west-1"},
		{"profile minio", "endpoint_url", "", "http://minio:9000"},
		{"profile minio", "s3", "endpoint_url", "http://s3.minio:9000"},
		{"profile minio", "s3", "addressing_style", "path"},
		{"profile minio", "x#y", "", "kept"},
		{"profile minio", "output", "", "json"},
		{"services local", "sts", "endpoint_url", "http://sts.local"},
	} {
		got := f[c.sec].get(c.key)
		if c.sub != "" {
			got = f[c.sec].subGet(c.key, c.sub)
		}
		if got != c.want {
			t.Errorf("[%s] %s %s = %q, want %q", c.sec, c.key, c.sub, got, c.want)
		}
	}
	for _, bad := range []struct{ text, want string }{
		{"region = x\n", "config:1: a property before any [section]"},
		{"[default\n", "config:1: a section without its closing ]"},
		{"[default]\nregion\n", `config:2: want key = value, got "region"`},
		{"[default]\ns3 =\n  nothing\n", "config:3: want key = value under s3"},
	} {
		if _, err := parseShared("config", []byte(bad.text)); err == nil || err.Error() != bad.want {
			t.Errorf("parseShared(%q) = %v, want %q", bad.text, err, bad.want)
		}
	}
}

func FuzzParseShared(f *testing.F) {
	f.Add([]byte("[default]\nregion = x\ns3 =\n  a = b\n"))
	f.Add([]byte("[profile p] ; c\nk=v\n  more\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sf, err := parseShared("f", data)
		if err != nil {
			return
		}
		for name, s := range sf {
			if name != strings.Join(strings.Fields(name), " ") || s == nil {
				t.Fatalf("section %q", name)
			}
		}
	})
}

// env is a test environment: HOME in a temporary folder, the shared files
// written there when given.
func env(t *testing.T, config, credentials string, kv ...string) func(string) string {
	t.Helper()
	home := t.TempDir()
	m := map[string]string{"HOME": home, "AWS_EC2_METADATA_DISABLED": "true"}
	if config != "" || credentials != "" {
		os.MkdirAll(filepath.Join(home, ".aws"), 0o755)
		os.WriteFile(filepath.Join(home, ".aws", "config"), []byte(config), 0o600)
		os.WriteFile(filepath.Join(home, ".aws", "credentials"), []byte(credentials), 0o600)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestRegionAndEndpoints(t *testing.T) {
	config := "[default]\nregion = eu-west-1\n[profile p]\nregion = ap-south-1\nendpoint_url = http://all\nservices = s\n[services s]\ns3 =\n  endpoint_url = http://s3-from-services\n"
	for _, c := range []struct {
		name    string
		o       Options
		kv      []string
		region  string
		s3, sts string
	}{
		{"nothing", Options{}, nil, "us-east-1", "", ""},
		{"default profile", Options{}, []string{"AWS_CONFIG_FILE", "@"}, "eu-west-1", "", ""},
		{"AWS_DEFAULT_REGION over the profile", Options{}, []string{"AWS_CONFIG_FILE", "@", "AWS_DEFAULT_REGION", "us-west-1"}, "us-west-1", "", ""},
		{"AWS_REGION over AWS_DEFAULT_REGION", Options{}, []string{"AWS_REGION", "us-west-2", "AWS_DEFAULT_REGION", "us-west-1"}, "us-west-2", "", ""},
		{"the URL over all", Options{Region: "sa-east-1"}, []string{"AWS_REGION", "us-west-2"}, "sa-east-1", "", ""},
		{"named profile", Options{Profile: "p"}, []string{"AWS_CONFIG_FILE", "@"}, "ap-south-1", "http://s3-from-services", "http://all"},
		{"AWS_PROFILE", Options{}, []string{"AWS_CONFIG_FILE", "@", "AWS_PROFILE", "p"}, "ap-south-1", "http://s3-from-services", "http://all"},
		{"AWS_ENDPOINT_URL over the profile", Options{Profile: "p"}, []string{"AWS_CONFIG_FILE", "@", "AWS_ENDPOINT_URL", "http://env"}, "ap-south-1", "http://env", "http://env"},
		{"AWS_ENDPOINT_URL_S3 over AWS_ENDPOINT_URL", Options{}, []string{"AWS_ENDPOINT_URL", "http://env", "AWS_ENDPOINT_URL_S3", "http://env-s3"}, "us-east-1", "http://env-s3", "http://env"},
		{"ignored", Options{Profile: "p"}, []string{"AWS_CONFIG_FILE", "@", "AWS_ENDPOINT_URL_S3", "http://env-s3", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"}, "ap-south-1", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			getenv := env(t, config, "", "AWS_ACCESS_KEY_ID", "AKID", "AWS_SECRET_ACCESS_KEY", "S")
			kv := map[string]string{}
			for i := 0; i+1 < len(c.kv); i += 2 {
				kv[c.kv[i]] = c.kv[i+1]
			}
			c.o.Getenv = func(k string) string {
				if v, ok := kv[k]; ok {
					if v == "@" {
						return filepath.Join(getenv("HOME"), ".aws", "config")
					}
					return v
				}
				if k == "AWS_CONFIG_FILE" {
					return filepath.Join(getenv("HOME"), "none")
				}
				return getenv(k)
			}
			cfg, err := Load(c.o)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Region != c.region || cfg.Endpoint("s3") != c.s3 || cfg.Endpoint("sts") != c.sts {
				t.Errorf("region %q s3 %q sts %q, want %q %q %q", cfg.Region, cfg.Endpoint("s3"), cfg.Endpoint("sts"), c.region, c.s3, c.sts)
			}
		})
	}
}

// sts is a loopback STS: it checks what it is asked and answers with
// credentials named after the call.
type stsServer struct {
	*httptest.Server
	mu    sync.Mutex
	calls []url.Values
	auth  []string
}

func newSTS(t *testing.T) *stsServer {
	s := &stsServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		s.mu.Lock()
		s.calls = append(s.calls, form)
		s.auth = append(s.auth, r.Header.Get("Authorization"))
		s.mu.Unlock()
		action := form.Get("Action")
		if form.Get("RoleArn") == "arn:aws:iam::1:role/denied" {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not you</Message></Error></ErrorResponse>`)
			return
		}
		fmt.Fprintf(w, `<%sResponse><%sResult><Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>secret</SecretAccessKey><SessionToken>tok</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials></%sResult></%sResponse>`,
			action, action, "FROM-"+action, action, action)
	}))
	t.Cleanup(s.Close)
	return s
}

func TestCredentials(t *testing.T) {
	sts := newSTS(t)
	tokenDir := t.TempDir()
	tokenFile := filepath.Join(tokenDir, "token")
	os.WriteFile(tokenFile, []byte("eyJ-web-token\n"), 0o600)
	var containerAuth string
	container := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		containerAuth = r.Header.Get("Authorization")
		json.NewEncoder(w).Encode(map[string]string{"AccessKeyId": "FROM-CONTAINER", "SecretAccessKey": "s", "Token": "t", "Expiration": "2099-01-01T00:00:00Z"})
	}))
	defer container.Close()
	imdsSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPut && r.URL.Path == "/latest/api/token":
			w.Header().Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", "21600")
			fmt.Fprint(w, "imds-token")
		case r.Header.Get("X-Aws-Ec2-Metadata-Token") != "imds-token":
			w.WriteHeader(http.StatusUnauthorized)
		case r.URL.Path == "/latest/meta-data/iam/security-credentials/":
			fmt.Fprint(w, "node-role\n")
		case r.URL.Path == "/latest/meta-data/iam/security-credentials/node-role":
			json.NewEncoder(w).Encode(map[string]string{"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": "FROM-IMDS", "SecretAccessKey": "s", "Token": "t", "Expiration": "2099-01-01T00:00:00Z"})
		default:
			http.NotFound(w, r)
		}
	}))
	defer imdsSrv.Close()
	process := filepath.Join(tokenDir, "creds.sh")
	os.WriteFile(process, []byte("#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"FROM-PROCESS\", \"SecretAccessKey\": \"s\"}'\n"), 0o755)

	credsFile := "[default]\naws_access_key_id = FROM-DEFAULT\naws_secret_access_key = s\n[keys]\naws_access_key_id = FROM-KEYS\naws_secret_access_key = s\naws_session_token = st\n[half]\naws_access_key_id = ONLY\n"
	config := `[profile role]
role_arn = arn:aws:iam::1:role/r
source_profile = keys
external_id = ext-1
role_session_name = node-a
duration_seconds = 3600
[profile chain]
role_arn = arn:aws:iam::1:role/second
source_profile = role
[profile loop-a]
role_arn = arn:aws:iam::1:role/a
source_profile = loop-b
[profile loop-b]
role_arn = arn:aws:iam::1:role/b
source_profile = loop-a
[profile web]
role_arn = arn:aws:iam::1:role/web
web_identity_token_file = ` + tokenFile + `
[profile proc]
credential_process = ` + process + `
[profile sso]
sso_session = corp
sso_account_id = 1
[profile mfa]
role_arn = arn:aws:iam::1:role/r
source_profile = keys
mfa_serial = arn:aws:iam::1:mfa/me
[profile from-env]
role_arn = arn:aws:iam::1:role/r
credential_source = Environment
[profile from-imds]
credential_source = Ec2InstanceMetadata
[profile bad-source]
credential_source = Somewhere
[profile orphan-role]
role_arn = arn:aws:iam::1:role/r
[profile denied]
role_arn = arn:aws:iam::1:role/denied
source_profile = keys
[profile missing-source]
role_arn = arn:aws:iam::1:role/r
source_profile = nowhere
[profile half]
`
	base := []string{"AWS_ENDPOINT_URL_STS", sts.URL}
	for _, c := range []struct {
		name    string
		profile string
		kv      []string
		want    string // the access key id, or "error: <substring>"
		check   func(t *testing.T)
	}{
		{name: "environment keys", kv: []string{"AWS_ACCESS_KEY_ID", "FROM-ENV", "AWS_SECRET_ACCESS_KEY", "s"}, want: "FROM-ENV"},
		{name: "the old names", kv: []string{"AWS_ACCESS_KEY", "FROM-ENV-OLD", "AWS_SECRET_KEY", "s"}, want: "FROM-ENV-OLD"},
		{name: "environment keys over AWS_PROFILE", kv: []string{"AWS_PROFILE", "keys", "AWS_ACCESS_KEY_ID", "FROM-ENV", "AWS_SECRET_ACCESS_KEY", "s"}, want: "FROM-ENV"},
		{name: "a profile in the URL over environment keys", profile: "keys", kv: []string{"AWS_ACCESS_KEY_ID", "FROM-ENV", "AWS_SECRET_ACCESS_KEY", "s"}, want: "FROM-KEYS"},
		{name: "default profile", want: "FROM-DEFAULT"},
		{name: "AWS_PROFILE", kv: []string{"AWS_PROFILE", "keys"}, want: "FROM-KEYS"},
		{name: "web identity from the environment", kv: []string{"AWS_WEB_IDENTITY_TOKEN_FILE", tokenFile, "AWS_ROLE_ARN", "arn:aws:iam::1:role/eks", "AWS_ROLE_SESSION_NAME", "pod-1"}, want: "FROM-AssumeRoleWithWebIdentity",
			check: func(t *testing.T) {
				f := sts.calls[len(sts.calls)-1]
				if f.Get("WebIdentityToken") != "eyJ-web-token" || f.Get("RoleArn") != "arn:aws:iam::1:role/eks" || f.Get("RoleSessionName") != "pod-1" || sts.auth[len(sts.auth)-1] != "" {
					t.Errorf("STS got %v, Authorization %q", f, sts.auth[len(sts.auth)-1])
				}
			}},
		{name: "web identity without a role", kv: []string{"AWS_WEB_IDENTITY_TOKEN_FILE", tokenFile}, want: "error: no role to assume"},
		{name: "web identity profile", profile: "web", want: "FROM-AssumeRoleWithWebIdentity"},
		{name: "assume role from a source profile", profile: "role", want: "FROM-AssumeRole",
			check: func(t *testing.T) {
				f := sts.calls[len(sts.calls)-1]
				auth := sts.auth[len(sts.auth)-1]
				if f.Get("RoleArn") != "arn:aws:iam::1:role/r" || f.Get("ExternalId") != "ext-1" || f.Get("RoleSessionName") != "node-a" || f.Get("DurationSeconds") != "3600" {
					t.Errorf("STS got %v", f)
				}
				if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=FROM-KEYS/") || !strings.Contains(auth, "/us-east-1/sts/aws4_request") {
					t.Errorf("AssumeRole signed as %q", auth)
				}
			}},
		{name: "a role from a role", profile: "chain", want: "FROM-AssumeRole",
			check: func(t *testing.T) {
				if auth := sts.auth[len(sts.auth)-1]; !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=FROM-AssumeRole/") {
					t.Errorf("the second AssumeRole signed as %q", auth)
				}
			}},
		{name: "role from the environment", profile: "from-env", kv: []string{"AWS_ACCESS_KEY_ID", "ENV-BASE", "AWS_SECRET_ACCESS_KEY", "s"}, want: "FROM-AssumeRole"},
		{name: "role from an empty environment", profile: "from-env", want: "error: credential_source = Environment, but AWS_ACCESS_KEY_ID"},
		{name: "STS refuses", profile: "denied", want: "error: STS AssumeRole: AccessDenied: not you (HTTP 403)"},
		{name: "source loop", profile: "loop-a", want: `error: AWS profile "loop-a": source_profile loops back to it`},
		{name: "missing source", profile: "missing-source", want: `error: AWS profile "nowhere": not found in`},
		{name: "missing profile", profile: "nope", want: `error: AWS profile "nope": not found in`},
		{name: "missing AWS_PROFILE", kv: []string{"AWS_PROFILE", "nope"}, want: `error: AWS profile "nope": not found in`},
		{name: "half a key", profile: "half", want: "error: aws_access_key_id and aws_secret_access_key go together"},
		{name: "orphan role", profile: "orphan-role", want: "error: role_arn needs source_profile or credential_source"},
		{name: "bad credential_source", profile: "bad-source", want: "error: want Environment, Ec2InstanceMetadata or EcsContainer"},
		{name: "SSO refused with a way out", profile: "sso", want: "error: AWS SSO is not supported (influx-py runs unattended): run `aws sso login --profile sso`"},
		{name: "MFA refused", profile: "mfa", want: "error: a role behind MFA (mfa_serial) is not supported"},
		{name: "credential_process", profile: "proc", want: "FROM-PROCESS"},
		{name: "container, full URI with a token file", kv: []string{"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent", "AWS_CONTAINER_CREDENTIALS_FULL_URI", container.URL + "/creds", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tokenFile}, want: "FROM-CONTAINER",
			check: func(t *testing.T) {
				if containerAuth != "eyJ-web-token" {
					t.Errorf("container endpoint got Authorization %q", containerAuth)
				}
			}},
		{name: "container over plain http elsewhere", kv: []string{"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://192.0.2.1/creds"}, want: "error: plain http only to loopback or the ECS/EKS agent"},
		{name: "instance role", kv: []string{"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent", "AWS_EC2_METADATA_DISABLED", "", "AWS_EC2_METADATA_SERVICE_ENDPOINT", imdsSrv.URL}, want: "FROM-IMDS"},
		{name: "instance role by credential_source", profile: "from-imds", kv: []string{"AWS_EC2_METADATA_DISABLED", "", "AWS_EC2_METADATA_SERVICE_ENDPOINT", imdsSrv.URL}, want: "FROM-IMDS"},
		{name: "nothing at all", kv: []string{"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent"}, want: "error: AWS_EC2_METADATA_DISABLED"},
	} {
		t.Run(c.name, func(t *testing.T) {
			getenv := env(t, config, credsFile, append(append([]string{}, base...), c.kv...)...)
			cfg, err := Load(Options{Profile: c.profile, Getenv: getenv, Timeout: 10 * time.Second})
			var creds string
			if err == nil {
				var got awsCreds
				got, err = retrieve(cfg)
				creds = got.id
				if err == nil && got.secret == "" {
					t.Errorf("no secret with %s", got.id)
				}
			}
			if want, ok := strings.CutPrefix(c.want, "error: "); ok {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("got %q, %v; want an error with %q", creds, err, want)
				}
				return
			}
			if err != nil || creds != c.want {
				t.Fatalf("got %q, %v; want %q", creds, err, c.want)
			}
			if c.check != nil {
				c.check(t)
			}
		})
	}
}

type awsCreds struct{ id, secret string }

func retrieve(cfg *Config) (awsCreds, error) {
	c, err := cfg.Credentials.Retrieve(context.Background())
	return awsCreds{c.AccessKeyID, c.SecretAccessKey}, err
}

func TestCABundle(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	defer srv.Close()
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644)
	get := func(kv ...string) error {
		cfg, err := Load(Options{Getenv: env(t, "", "", append([]string{"AWS_ACCESS_KEY_ID", "A", "AWS_SECRET_ACCESS_KEY", "S"}, kv...)...)})
		if err != nil {
			return err
		}
		resp, err := cfg.HTTP.Get(srv.URL)
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	}
	if err := get(); err == nil {
		t.Fatal("a self-signed server was trusted without the bundle")
	}
	if err := get("AWS_CA_BUNDLE", bundle); err != nil {
		t.Fatalf("with AWS_CA_BUNDLE: %v", err)
	}
	notPEM := filepath.Join(t.TempDir(), "x.pem")
	os.WriteFile(notPEM, []byte("hello"), 0o644)
	if err := get("AWS_CA_BUNDLE", notPEM); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Fatalf("a bundle without certificates: %v", err)
	}
	if err := get("AWS_CA_BUNDLE", "/nonexistent.pem"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a missing bundle: %v", err)
	}
}

// Without a home, there are no default shared files: not ./.aws of
// wherever influx-py runs.
func TestNoHomeNoFiles(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, ".aws"), 0o755)
	os.WriteFile(filepath.Join(dir, ".aws", "config"), []byte("[profile here]\nregion = eu-west-3\n"), 0o600)
	t.Chdir(dir)
	t.Setenv("HOME", "")
	_, err := Load(Options{Profile: "here", Getenv: func(string) string { return "" }})
	var nf *ProfileNotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("Load = %v, want the profile not found (./.aws is not a home)", err)
	}
	if want := `AWS profile "here": there are no shared files to look in (HOME is not set`; !strings.Contains(err.Error(), want) {
		t.Errorf("message %q, want %q", err, want)
	}
}
