package awsconfig

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	"github.com/aws/aws-sdk-go-v2/credentials/processcreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
)

// UnsupportedError is a credential source influx-py does not use, with
// the way around it.
type UnsupportedError struct {
	Profile, What, Instead string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("AWS profile %q: %s is not supported (influx-py runs unattended): %s", e.Profile, e.What, e.Instead)
}

// chain picks the credential provider the way the AWS SDK for Go's
// default chain does: a profile named in the source URL first, then keys
// in the environment, then a web identity token in the environment, then
// the profile (AWS_PROFILE or default), whose last resort is the
// container endpoint, then the instance role.
func (r *resolver) chain(explicitProfile bool) (aws.CredentialsProvider, error) {
	if !explicitProfile {
		if c, ok := r.envKeys(); ok {
			return c, nil
		}
		if tok := r.getenv("AWS_WEB_IDENTITY_TOKEN_FILE"); tok != "" {
			return r.webIdentity(tok, r.getenv("AWS_ROLE_ARN"), r.getenv("AWS_ROLE_SESSION_NAME"), 0)
		}
	}
	return r.fromProfile(r.name, r.prof, map[string]bool{})
}

func (r *resolver) envKeys() (aws.CredentialsProvider, bool) {
	id := firstOf(r.getenv("AWS_ACCESS_KEY_ID"), r.getenv("AWS_ACCESS_KEY"))
	secret := firstOf(r.getenv("AWS_SECRET_ACCESS_KEY"), r.getenv("AWS_SECRET_KEY"))
	if id == "" || secret == "" {
		return nil, false
	}
	return static{aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: r.getenv("AWS_SESSION_TOKEN"), Source: "environment"}}, true
}

// fromProfile is the provider of profile name (p nil: no such profile,
// only the default's fallbacks apply). seen guards source_profile loops.
func (r *resolver) fromProfile(name string, p *section, seen map[string]bool) (aws.CredentialsProvider, error) {
	if seen[name] {
		return nil, fmt.Errorf("AWS profile %q: source_profile loops back to it", name)
	}
	seen[name] = true
	roleARN := p.get("role_arn")
	var base aws.CredentialsProvider
	var err error
	switch src := p.get("source_profile"); {
	case src != "" && roleARN == "":
		return nil, fmt.Errorf("AWS profile %q: source_profile without role_arn", name)
	case src == name && p.get("aws_access_key_id") != "":
		// A profile may name itself as the source of its own keys.
		base, err = r.profileKeys(name, p)
	case src != "":
		sp := r.files.profile(src)
		if sp == nil {
			return nil, &ProfileNotFoundError{Profile: src, Files: []string{r.files.configPath, r.files.credsPath}}
		}
		base, err = r.fromProfile(src, sp, seen)
	case p.get("aws_access_key_id") != "" || p.get("aws_secret_access_key") != "":
		base, err = r.profileKeys(name, p)
	case p.get("credential_source") != "":
		base, err = r.namedSource(name, p.get("credential_source"))
	case p.get("web_identity_token_file") != "":
		return r.webIdentity(p.get("web_identity_token_file"), roleARN, p.get("role_session_name"), duration(p))
	case p.get("sso_session") != "" || p.get("sso_start_url") != "" || p.get("sso_account_id") != "":
		return nil, &UnsupportedError{Profile: name, What: "AWS SSO",
			Instead: fmt.Sprintf("run `aws sso login --profile %s` where a person can, and give influx-py a profile with credential_process = aws configure export-credentials --profile %s --format process", name, name)}
	case p.get("login_session") != "":
		return nil, &UnsupportedError{Profile: name, What: "a console login session",
			Instead: fmt.Sprintf("use a profile with credential_process = aws configure export-credentials --profile %s --format process", name)}
	case p.get("credential_process") != "":
		base = processcreds.NewProvider(p.get("credential_process"), func(o *processcreds.Options) { o.Timeout = time.Minute })
	default:
		if roleARN != "" {
			return nil, fmt.Errorf("AWS profile %q: role_arn needs source_profile or credential_source", name)
		}
		base, err = r.containerOrInstance()
	}
	if err != nil {
		return nil, err
	}
	if roleARN == "" {
		return base, nil
	}
	if p.get("mfa_serial") != "" {
		return nil, &UnsupportedError{Profile: name, What: "a role behind MFA (mfa_serial)", Instead: "use a role without MFA for the nodes, or credential_process"}
	}
	return r.assumeRole(base, roleARN, p.get("role_session_name"), p.get("external_id"), duration(p)), nil
}

func (r *resolver) profileKeys(name string, p *section) (aws.CredentialsProvider, error) {
	id, secret := p.get("aws_access_key_id"), p.get("aws_secret_access_key")
	if id == "" || secret == "" {
		return nil, fmt.Errorf("AWS profile %q: aws_access_key_id and aws_secret_access_key go together", name)
	}
	return static{aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: p.get("aws_session_token"), Source: "profile " + name}}, nil
}

// namedSource is a credential_source: where a role's base credentials
// come from when no profile holds them.
func (r *resolver) namedSource(name, src string) (aws.CredentialsProvider, error) {
	switch src {
	case "Environment":
		if c, ok := r.envKeys(); ok {
			return c, nil
		}
		return nil, fmt.Errorf("AWS profile %q: credential_source = Environment, but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set", name)
	case "Ec2InstanceMetadata":
		return r.instance(), nil
	case "EcsContainer":
		if p, ok, err := r.container(); ok || err != nil {
			return p, err
		}
		return nil, fmt.Errorf("AWS profile %q: credential_source = EcsContainer, but neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor AWS_CONTAINER_CREDENTIALS_FULL_URI is set", name)
	}
	return nil, fmt.Errorf("AWS profile %q: credential_source = %s: want Environment, Ec2InstanceMetadata or EcsContainer", name, src)
}

func (r *resolver) containerOrInstance() (aws.CredentialsProvider, error) {
	if p, ok, err := r.container(); ok || err != nil {
		return p, err
	}
	return r.instance(), nil
}

// ecsEndpoint is where ECS serves a task's credentials.
const ecsEndpoint = "http://169.254.170.2"

// container is the container credentials endpoint (ECS task roles, EKS
// Pod Identity), when the environment names one.
func (r *resolver) container() (aws.CredentialsProvider, bool, error) {
	var endpoint string
	if rel := r.getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"); rel != "" {
		endpoint = ecsEndpoint + rel
	} else if full := r.getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI"); full != "" {
		if err := allowedContainerURL(full); err != nil {
			return nil, false, err
		}
		endpoint = full
	} else {
		return nil, false, nil
	}
	token, tokenFile := r.getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN"), r.getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
	return endpointcreds.New(endpoint, func(o *endpointcreds.Options) {
		o.AuthorizationToken = token
		if tokenFile != "" {
			// Read on every refresh: the agent rotates the file.
			o.AuthorizationTokenProvider = endpointcreds.TokenProviderFunc(func() (string, error) {
				b, err := os.ReadFile(tokenFile)
				if err != nil {
					return "", fmt.Errorf("container authorization token: %w", err)
				}
				return strings.TrimSpace(string(b)), nil
			})
		}
	}), true, nil
}

// allowedContainerURL refuses to send a container token in clear to
// anything but the local agents: https anywhere, http only to loopback
// and the ECS and EKS agent addresses, as the SDKs do.
func allowedContainerURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return fmt.Errorf("AWS_CONTAINER_CREDENTIALS_FULL_URI %q: not a URL", raw)
	}
	if u.Scheme == "https" {
		return nil
	}
	if u.Scheme != "http" {
		return fmt.Errorf("AWS_CONTAINER_CREDENTIALS_FULL_URI %q: want http or https", raw)
	}
	host := u.Hostname()
	addrs := []string{host}
	if net.ParseIP(host) == nil {
		if addrs, err = net.LookupHost(host); err != nil {
			return fmt.Errorf("AWS_CONTAINER_CREDENTIALS_FULL_URI %q: %w", raw, err)
		}
	}
	for _, a := range addrs {
		ip := net.ParseIP(a)
		if ip == nil || !(ip.IsLoopback() || ip.Equal(net.ParseIP("169.254.170.2")) || ip.Equal(net.ParseIP("169.254.170.23")) || ip.Equal(net.ParseIP("fd00:ec2::23"))) {
			return fmt.Errorf("AWS_CONTAINER_CREDENTIALS_FULL_URI %q: plain http only to loopback or the ECS/EKS agent", raw)
		}
	}
	return nil
}

// instance is the EC2 instance role, through IMDSv2 (IMDSv1 only when
// the instance allows nothing else, as the SDK does).
func (r *resolver) instance() aws.CredentialsProvider {
	o := imds.Options{Endpoint: r.getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT")}
	if strings.EqualFold(r.getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE"), "IPv6") {
		o.EndpointMode = imds.EndpointModeStateIPv6
	}
	if truthy(r.getenv("AWS_EC2_METADATA_DISABLED")) {
		o.ClientEnableState = imds.ClientDisabled
	}
	if truthy(r.getenv("AWS_EC2_METADATA_V1_DISABLED")) {
		o.EnableFallback = aws.FalseTernary
	}
	return ec2rolecreds.New(func(eo *ec2rolecreds.Options) { eo.Client = imds.New(o) })
}

func duration(p *section) time.Duration {
	n, err := strconv.Atoi(p.get("duration_seconds"))
	if err != nil || n < 900 {
		return 0
	}
	return time.Duration(n) * time.Second
}

// static is credentials that do not expire.
type static struct{ c aws.Credentials }

func (s static) Retrieve(context.Context) (aws.Credentials, error) { return s.c, nil }
