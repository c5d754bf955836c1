// Package awsconfig finds what an S3 request needs (the region, a
// configured endpoint, a CA bundle, credentials) in the places the AWS
// SDKs and CLI look: the environment, ~/.aws/config and
// ~/.aws/credentials, a web identity token (EKS), the container
// credentials endpoint (ECS, EKS Pod Identity), the instance role (EC2).
//
// It stands in for the SDK's config package, which links the SSO, OIDC,
// sign-in and STS clients into every binary and whose package
// initialisers alone cost about 2 ms of every influx-py start, a third
// of a no-op sync. What is signed, retried and parsed on the wire stays
// the SDK's: the S3 client, the SigV4 signer, the instance-role and
// container providers, credential_process. What is not supported is
// refused with a way out: SSO and console logins (interactive: use
// credential_process with `aws configure export-credentials`) and MFA.
package awsconfig

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Options are what the caller knows before the environment is read.
type Options struct {
	Region  string // from the source URL (?region=); wins over the environment
	Profile string // from the source URL (?aws_profile=); wins over AWS_PROFILE and over keys in the environment
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
	// Timeout bounds one request of the returned HTTP client.
	Timeout time.Duration
}

// Config is the outcome.
type Config struct {
	Region      string // never empty: us-east-1 when nothing says otherwise
	Credentials aws.CredentialsProvider
	// HTTP trusts the CA bundle when one is configured.
	HTTP *http.Client

	endpoints map[string]string
}

// Endpoint is the endpoint URL configured for the service ("s3",
// "sts"), or "" for AWS's own.
func (c *Config) Endpoint(service string) string { return c.endpoints[service] }

// ProfileNotFoundError is a named profile that neither shared file has.
type ProfileNotFoundError struct {
	Profile string
	Files   []string
}

func (e *ProfileNotFoundError) Error() string {
	var files []string
	for _, f := range e.Files {
		if f != "" {
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		return fmt.Sprintf("AWS profile %q: there are no shared files to look in (HOME is not set; set AWS_CONFIG_FILE or AWS_SHARED_CREDENTIALS_FILE)", e.Profile)
	}
	return fmt.Sprintf("AWS profile %q: not found in %s", e.Profile, strings.Join(files, " or "))
}

// ConfigError is a configuration Load cannot use: a missing profile, a
// bad shared file, an unsupported credential source.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return "AWS configuration: " + e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// Load reads the configuration. It makes no request: credentials are
// fetched (and cached until they expire) on first use.
func Load(o Options) (*Config, error) {
	cfg, err := load(o)
	if err != nil {
		return nil, &ConfigError{Err: err}
	}
	return cfg, nil
}

func load(o Options) (*Config, error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	r := &resolver{getenv: getenv}
	if err := r.readFiles(); err != nil {
		return nil, err
	}
	explicit := o.Profile != ""
	name := o.Profile
	if name == "" {
		name = firstOf(getenv("AWS_PROFILE"), getenv("AWS_DEFAULT_PROFILE"), "default")
	}
	r.name = name
	r.prof = r.files.profile(name)
	if r.prof == nil && name != "default" {
		return nil, &ProfileNotFoundError{Profile: name, Files: []string{r.files.configPath, r.files.credsPath}}
	}
	cfg := &Config{
		Region: firstOf(o.Region, getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION"), r.prof.get("region"), "us-east-1"),
	}
	r.region = cfg.Region
	cfg.endpoints = map[string]string{"s3": r.endpoint("s3"), "sts": r.endpoint("sts")}
	r.stsEndpoint = cfg.endpoints["sts"]
	var err error
	if cfg.HTTP, err = r.httpClient(o.Timeout); err != nil {
		return nil, err
	}
	r.http = cfg.HTTP
	p, err := r.chain(explicit)
	if err != nil {
		return nil, err
	}
	cfg.Credentials = aws.NewCredentialsCache(p, func(co *aws.CredentialsCacheOptions) {
		// Renewed a little early, so a long download never starts on
		// credentials about to lapse.
		co.ExpiryWindow = 5 * time.Minute
	})
	return cfg, nil
}

// resolver carries what Load found to the credential chain.
type resolver struct {
	getenv      func(string) string
	files       profiles
	name        string
	prof        *section
	region      string
	stsEndpoint string
	http        *http.Client
}

func (r *resolver) readFiles() error {
	home := r.getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	inHome := func(name string) string {
		if home == "" {
			// Without a home there are no default files (not ./.aws).
			return ""
		}
		return filepath.Join(home, ".aws", name)
	}
	r.files.configPath = firstOf(r.getenv("AWS_CONFIG_FILE"), inHome("config"))
	r.files.credsPath = firstOf(r.getenv("AWS_SHARED_CREDENTIALS_FILE"), inHome("credentials"))
	var err error
	if r.files.config, err = readShared(r.files.configPath); err != nil {
		return err
	}
	r.files.credentials, err = readShared(r.files.credsPath)
	return err
}

// endpoint is the configured endpoint URL of service, in the SDKs'
// order: AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the profile's
// [services] section, the profile's endpoint_url.
func (r *resolver) endpoint(service string) string {
	if truthy(r.getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) || truthy(r.prof.get("ignore_configured_endpoint_urls")) {
		return ""
	}
	return firstOf(
		r.getenv("AWS_ENDPOINT_URL_"+strings.ToUpper(service)),
		r.getenv("AWS_ENDPOINT_URL"),
		r.files.services(r.prof.get("services")).subGet(service, "endpoint_url"),
		r.prof.get("endpoint_url"),
	)
}

// httpClient is a client of its own (no shared transport state with the
// rest of influx-py) that trusts AWS_CA_BUNDLE or the profile's
// ca_bundle when set, besides the system's roots.
func (r *resolver) httpClient(timeout time.Duration) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if bundle := firstOf(r.getenv("AWS_CA_BUNDLE"), r.prof.get("ca_bundle")); bundle != "" {
		pem, err := os.ReadFile(bundle)
		if err != nil {
			return nil, fmt.Errorf("AWS CA bundle: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("AWS CA bundle %s: no PEM certificate in it", bundle)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr, Timeout: timeout}, nil
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func truthy(v string) bool { return strings.EqualFold(strings.TrimSpace(v), "true") }
