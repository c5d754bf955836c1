package awsconfig

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The two STS calls a node needs, AssumeRole (a profile's role_arn) and
// AssumeRoleWithWebIdentity (EKS service accounts), are form posts with
// an XML answer: made here rather than through the SDK's STS client,
// whose tables cost more at start than the calls are long.

// stsTimeout bounds one STS call.
const stsTimeout = 30 * time.Second

// stsProvider assumes a role through STS.
type stsProvider struct {
	r         *resolver
	roleARN   string
	session   string
	duration  time.Duration
	tokenFile string                  // AssumeRoleWithWebIdentity: the token, read on every call
	base      aws.CredentialsProvider // AssumeRole: what signs the call
	external  string
}

func (r *resolver) webIdentity(tokenFile, roleARN, session string, d time.Duration) (aws.CredentialsProvider, error) {
	if roleARN == "" {
		return nil, fmt.Errorf("AWS web identity token %s: no role to assume (set AWS_ROLE_ARN, or role_arn in the profile)", tokenFile)
	}
	return &stsProvider{r: r, roleARN: roleARN, session: session, duration: d, tokenFile: tokenFile}, nil
}

func (r *resolver) assumeRole(base aws.CredentialsProvider, roleARN, session, external string, d time.Duration) aws.CredentialsProvider {
	return &stsProvider{r: r, roleARN: roleARN, session: session, duration: d, base: aws.NewCredentialsCache(base), external: external}
}

// STSError is an error answer of STS.
type STSError struct {
	Action, Code, Message string
	Status                int
}

func (e *STSError) Error() string {
	return fmt.Sprintf("STS %s: %s: %s (HTTP %d)", e.Action, e.Code, e.Message, e.Status)
}

type stsCredentials struct {
	AccessKeyID     string    `xml:"AccessKeyId"`
	SecretAccessKey string    `xml:"SecretAccessKey"`
	SessionToken    string    `xml:"SessionToken"`
	Expiration      time.Time `xml:"Expiration"`
}

type stsAnswer struct {
	Role    stsCredentials `xml:"AssumeRoleResult>Credentials"`
	Web     stsCredentials `xml:"AssumeRoleWithWebIdentityResult>Credentials"`
	ErrCode string         `xml:"Error>Code"`
	ErrMesg string         `xml:"Error>Message"`
}

func (p *stsProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	form := url.Values{"Version": {"2011-06-15"}, "RoleArn": {p.roleARN}}
	form.Set("RoleSessionName", firstOf(p.session, "influx-py-"+strconv.FormatInt(time.Now().UnixNano(), 10)))
	if p.duration > 0 {
		form.Set("DurationSeconds", strconv.Itoa(int(p.duration/time.Second)))
	}
	action := "AssumeRole"
	if p.tokenFile != "" {
		action = "AssumeRoleWithWebIdentity"
		tok, err := os.ReadFile(p.tokenFile)
		if err != nil {
			return aws.Credentials{}, fmt.Errorf("AWS web identity token: %w", err)
		}
		form.Set("WebIdentityToken", strings.TrimSpace(string(tok)))
	}
	if p.external != "" {
		form.Set("ExternalId", p.external)
	}
	form.Set("Action", action)
	body := []byte(form.Encode())
	ctx, cancel := context.WithTimeout(ctx, stsTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.endpoint(), bytes.NewReader(body))
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("STS %s: %w", action, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.Header.Set("User-Agent", "influx-py")
	if p.base != nil {
		creds, err := p.base.Retrieve(ctx)
		if err != nil {
			return aws.Credentials{}, fmt.Errorf("STS %s: the credentials to assume %s with: %w", action, p.roleARN, err)
		}
		sum := sha256.Sum256(body)
		if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "sts", p.r.region, time.Now()); err != nil {
			return aws.Credentials{}, fmt.Errorf("STS %s: signing: %w", action, err)
		}
	}
	resp, err := p.r.http.Do(req)
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("STS %s: %w", action, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("STS %s: %w", action, err)
	}
	var a stsAnswer
	xmlErr := xml.Unmarshal(data, &a)
	if resp.StatusCode != http.StatusOK {
		e := &STSError{Action: action, Code: firstOf(a.ErrCode, http.StatusText(resp.StatusCode)), Message: strings.TrimSpace(a.ErrMesg), Status: resp.StatusCode}
		return aws.Credentials{}, e
	}
	if xmlErr != nil {
		return aws.Credentials{}, fmt.Errorf("STS %s: the answer is not XML: %w", action, xmlErr)
	}
	c := a.Role
	if p.tokenFile != "" {
		c = a.Web
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return aws.Credentials{}, fmt.Errorf("STS %s: the answer has no credentials", action)
	}
	return aws.Credentials{
		AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken,
		CanExpire: !c.Expiration.IsZero(), Expires: c.Expiration, Source: "STS " + action,
	}, nil
}

// endpoint is the configured STS endpoint, else the region's own.
func (p *stsProvider) endpoint() string {
	if p.r.stsEndpoint != "" {
		return p.r.stsEndpoint
	}
	domain := "amazonaws.com"
	if strings.HasPrefix(p.r.region, "cn-") {
		domain = "amazonaws.com.cn"
	}
	return "https://sts." + p.r.region + "." + domain + "/"
}
