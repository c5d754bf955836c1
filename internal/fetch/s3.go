package fetch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithy "github.com/aws/smithy-go"
	getter "github.com/hashicorp/go-getter/v2"

	"github.com/influx-py/influx-py/internal/awsconfig"
	"github.com/influx-py/influx-py/internal/fsutil"
)

// S3 sources are written the two ways operators know:
//
//	s3://BUCKET/KEY                         AWS (the endpoint from the AWS config,
//	                                        AWS_ENDPOINT_URL_S3 included)
//	s3::https://s3.REGION.amazonaws.com/BUCKET/KEY
//	s3::http://minio.internal:9000/BUCKET/KEY   any S3-compatible server, path-style
//
// with ?region=R and ?aws_profile=P. Credentials come only from the
// standard places of the AWS SDKs (see package awsconfig): a URL with
// keys in it is refused, since URLs end up in logs, shell history and
// status reports.
//
// The getter is influx-py's own rather than go-getter's s3 module, which
// uses an S3-compatible endpoint only when the keys are in the URL, and an
// SDK past its end of support.

// s3Timeout bounds one S3 request, a large wheel's download included.
const s3Timeout = 10 * time.Minute

// S3Location is a parsed S3 source.
type S3Location struct {
	Bucket   string
	Key      string // no leading slash; a prefix for a folder
	Endpoint string // "" for AWS's own; else scheme://host[:port]
	Region   string
	Profile  string
}

// ParseS3 reads an s3:// URL or the URL after "s3::".
func ParseS3(raw string) (S3Location, error) {
	raw = strings.TrimPrefix(raw, "s3::")
	u, err := url.Parse(raw)
	if err != nil {
		return S3Location{}, fmt.Errorf("S3 source %s: %w", Redact(raw), err)
	}
	q := u.Query()
	for k := range q {
		switch k {
		case "region", "aws_profile":
		case "aws_access_key_id", "aws_access_key_secret", "aws_access_token", "aws_secret_access_key", "aws_session_token":
			return S3Location{}, fmt.Errorf("S3 source %s: credentials in the URL are refused (they end up in logs and shell history): use AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, ~/.aws/credentials, or aws_profile=NAME", Redact(raw))
		default:
			return S3Location{}, fmt.Errorf("S3 source %s: unknown parameter %q (want region or aws_profile)", Redact(raw), k)
		}
	}
	if u.User != nil {
		return S3Location{}, fmt.Errorf("S3 source %s: credentials in the URL are refused: use the AWS credentials chain", Redact(raw))
	}
	loc := S3Location{Region: q.Get("region"), Profile: q.Get("aws_profile")}
	p := strings.TrimPrefix(u.Path, "/")
	switch {
	case u.Scheme == "s3":
		loc.Bucket, loc.Key = u.Host, p
	case u.Scheme != "http" && u.Scheme != "https":
		return S3Location{}, fmt.Errorf("S3 source %s: want s3://BUCKET/KEY or s3::https://HOST/BUCKET/KEY", Redact(raw))
	case strings.HasSuffix(u.Hostname(), ".amazonaws.com"):
		host := strings.TrimSuffix(u.Hostname(), ".amazonaws.com")
		if b, rest, ok := strings.Cut(host, ".s3"); ok && b != "" {
			// Virtual-hosted style: BUCKET.s3[.REGION].amazonaws.com/KEY.
			loc.Bucket, loc.Key = b, p
			host = "s3" + rest
		} else {
			loc.Bucket, loc.Key, _ = strings.Cut(p, "/")
		}
		if r := strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(host, "s3"), "-"), "."); r != "" && loc.Region == "" {
			loc.Region = r
		}
	default:
		loc.Endpoint = u.Scheme + "://" + u.Host
		loc.Bucket, loc.Key, _ = strings.Cut(p, "/")
	}
	if loc.Bucket == "" {
		return S3Location{}, fmt.Errorf("S3 source %s: no bucket", Redact(raw))
	}
	return loc, nil
}

// String is the location as the user would write it, without parameters.
func (l S3Location) String() string {
	if l.Endpoint != "" {
		return "s3::" + l.Endpoint + "/" + l.Bucket + "/" + l.Key
	}
	return "s3://" + l.Bucket + "/" + l.Key
}

// Join is the location of name inside the folder l.
func (l S3Location) Join(name string) S3Location {
	l.Key = path.Join(l.Key, name)
	return l
}

// s3Client makes an S3 client for loc: region, endpoint, CA bundle and
// credentials found as the AWS SDKs find them (package awsconfig).
// The client of an earlier call with the same region, profile and
// endpoint is used again.
func (c *Client) s3Client(ctx context.Context, loc S3Location) (*s3.Client, error) {
	key := s3Config{loc.Region, loc.Profile, loc.Endpoint}
	c.s3mu.Lock()
	defer c.s3mu.Unlock()
	if cl := c.s3clients[key]; cl != nil {
		return cl, nil
	}
	cl, err := newS3Client(loc, c.Getenv)
	if err != nil {
		return nil, err
	}
	if c.s3clients == nil {
		c.s3clients = map[s3Config]*s3.Client{}
	}
	c.s3clients[key] = cl
	return cl, nil
}

// s3Config is what an S3 client depends on besides the environment.
type s3Config struct{ region, profile, endpoint string }

func newS3Client(loc S3Location, getenv func(string) string) (*s3.Client, error) {
	cfg, err := awsconfig.Load(awsconfig.Options{Region: loc.Region, Profile: loc.Profile, Getenv: getenv, Timeout: s3Timeout})
	if err != nil {
		return nil, err
	}
	endpoint, pathStyle := loc.Endpoint, loc.Endpoint != ""
	if endpoint == "" {
		// A configured endpoint (AWS_ENDPOINT_URL_S3, the profile's) is
		// most often MinIO or Ceph, which want the bucket in the path;
		// AWS's own hosts take it in the host name.
		if endpoint = cfg.Endpoint("s3"); endpoint != "" {
			u, err := url.Parse(endpoint)
			if err != nil || u.Host == "" {
				return nil, &awsconfig.ConfigError{Err: fmt.Errorf("the S3 endpoint %q is not a URL", endpoint)}
			}
			pathStyle = !strings.HasSuffix(u.Hostname(), ".amazonaws.com")
		}
	}
	o := s3.Options{
		Region:      cfg.Region,
		Credentials: cfg.Credentials,
		HTTPClient:  cfg.HTTP,
		// S3-compatible servers differ in the checksums they accept; the
		// lock's sha256 is what proves the bytes in any case.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		UsePathStyle:               pathStyle,
	}
	if endpoint != "" {
		o.BaseEndpoint = aws.String(endpoint)
	}
	return s3.New(o), nil
}

// s3Err turns an SDK failure into the fetch layer's kinds: a missing key
// is an *UnreachableError wrapping fs.ErrNotExist, an HTTP answer a
// *StatusError.
func s3Err(loc S3Location, err error) error {
	shown := loc.String()
	var nsk *s3types.NoSuchKey
	var nsb *s3types.NoSuchBucket
	var nf *s3types.NotFound
	if errors.As(err, &nsk) || errors.As(err, &nf) {
		return &UnreachableError{URL: shown, Err: os.ErrNotExist}
	}
	if errors.As(err, &nsb) {
		return &UnreachableError{URL: shown, Err: fmt.Errorf("no bucket %s: %w", loc.Bucket, os.ErrNotExist)}
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		return fmt.Errorf("%s: %s: %s", shown, api.ErrorCode(), api.ErrorMessage())
	}
	return &UnreachableError{URL: shown, Err: err}
}

// S3Get writes the object at loc to dst atomically, at most max bytes.
func (c *Client) S3Get(ctx context.Context, loc S3Location, dst string, max int64) error {
	cl, err := c.s3Client(ctx, loc)
	if err != nil {
		return err
	}
	return c.s3Get(ctx, cl, loc, dst, max)
}

func (c *Client) s3Get(ctx context.Context, cl *s3.Client, loc S3Location, dst string, max int64) error {
	if max <= 0 {
		max = DefaultMax
	}
	out, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(loc.Bucket), Key: aws.String(loc.Key)})
	if err != nil {
		return s3Err(loc, err)
	}
	defer out.Body.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return fsutil.WriteFrom(dst, 0o644, func(w io.Writer) error {
		n, err := io.Copy(w, io.LimitReader(out.Body, max+1))
		if err != nil {
			return &CutShortError{URL: loc.String(), Err: err}
		}
		if n > max {
			return &TooLargeError{URL: loc.String(), Limit: max}
		}
		if out.ContentLength != nil && n != *out.ContentLength {
			return &CutShortError{URL: loc.String(), Err: fmt.Errorf("got %d bytes, the server announced %d", n, *out.ContentLength)}
		}
		return nil
	})
}

// S3Put writes data as the object at loc. S3 replaces an object whole,
// so a reader sees the old report or the new one.
func (c *Client) S3Put(ctx context.Context, loc S3Location, data []byte) error {
	cl, err := c.s3Client(ctx, loc)
	if err != nil {
		return err
	}
	_, err = cl.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(loc.Bucket), Key: aws.String(loc.Key),
		Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data))),
		ContentType: aws.String("application/json"),
	})
	if err != nil {
		return s3Err(loc, err)
	}
	return nil
}

// S3Object is one object of a listing.
type S3Object struct {
	Key      string // relative to the listed prefix
	Size     int64
	Modified time.Time
}

// S3List lists the objects under the folder loc (its key a prefix).
func (c *Client) S3List(ctx context.Context, loc S3Location) ([]S3Object, error) {
	cl, err := c.s3Client(ctx, loc)
	if err != nil {
		return nil, err
	}
	return c.s3List(ctx, cl, loc)
}

func (c *Client) s3List(ctx context.Context, cl *s3.Client, loc S3Location) ([]S3Object, error) {
	prefix := loc.Key
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	var out []S3Object
	p := s3.NewListObjectsV2Paginator(cl, &s3.ListObjectsV2Input{Bucket: aws.String(loc.Bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, s3Err(loc, err)
		}
		for _, o := range page.Contents {
			key := strings.TrimPrefix(aws.ToString(o.Key), prefix)
			if key == "" || strings.HasSuffix(key, "/") {
				continue
			}
			obj := S3Object{Key: key, Size: aws.ToInt64(o.Size)}
			if o.LastModified != nil {
				obj.Modified = *o.LastModified
			}
			out = append(out, obj)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// s3Getter is the go-getter getter for S3 sources.
type s3Getter struct {
	c   *Client
	max int64
}

func (g *s3Getter) Detect(req *getter.Request) (bool, error) {
	if req.Forced != "" {
		return req.Forced == "s3", nil
	}
	return strings.HasPrefix(req.Src, "s3://"), nil
}

func (g *s3Getter) location(req *getter.Request) (S3Location, error) {
	return ParseS3(req.URL().String())
}

// Mode is a file when the key names an object, else a folder.
func (g *s3Getter) Mode(ctx context.Context, u *url.URL) (getter.Mode, error) {
	loc, err := ParseS3(u.String())
	if err != nil {
		return 0, err
	}
	cl, err := g.c.s3Client(ctx, loc)
	if err != nil {
		return 0, err
	}
	if _, err := cl.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(loc.Bucket), Key: aws.String(loc.Key)}); err == nil {
		return getter.ModeFile, nil
	}
	return getter.ModeDir, nil
}

func (g *s3Getter) GetFile(ctx context.Context, req *getter.Request) error {
	loc, err := g.location(req)
	if err != nil {
		return err
	}
	return g.c.S3Get(ctx, loc, req.Dst, g.max)
}

// Get copies every object under the prefix into req.Dst, keeping the
// folders below it; a key that would land outside req.Dst is refused.
func (g *s3Getter) Get(ctx context.Context, req *getter.Request) error {
	loc, err := g.location(req)
	if err != nil {
		return err
	}
	cl, err := g.c.s3Client(ctx, loc)
	if err != nil {
		return err
	}
	objs, err := g.c.s3List(ctx, cl, loc)
	if err != nil {
		return err
	}
	for _, o := range objs {
		rel := filepath.FromSlash(o.Key)
		if !filepath.IsLocal(rel) {
			return fmt.Errorf("%s: object key %q leaves the folder", loc, o.Key)
		}
		if err := g.c.s3Get(ctx, cl, loc.Join(o.Key), filepath.Join(req.Dst, rel), g.max); err != nil {
			return err
		}
	}
	return nil
}

// s3File is File for an S3 object: written over dst in place (the
// caller's temporary), size-checked, hashed.
func (c *Client) s3File(ctx context.Context, src, dst string, o Options) (Result, error) {
	loc, err := ParseS3(src)
	if err != nil {
		return Result{}, err
	}
	limit := o.Max
	if o.Size >= 0 {
		limit = o.Size
	} else if limit <= 0 {
		limit = DefaultMax
	}
	cl, err := c.s3Client(ctx, loc)
	if err != nil {
		return Result{}, err
	}
	var res Result
	err = retry(ctx, func() error {
		out, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(loc.Bucket), Key: aws.String(loc.Key)})
		if err != nil {
			return s3Err(loc, err)
		}
		defer out.Body.Close()
		f, err := os.OpenFile(dst, os.O_WRONLY|os.O_TRUNC|os.O_CREATE, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		w := &watch{h: sha256.New(), size: o.Size, progress: o.Progress}
		total := int64(-1)
		if out.ContentLength != nil {
			total = *out.ContentLength
		}
		body := w.TrackProgress(loc.String(), 0, total, out.Body)
		n, err := io.Copy(f, io.LimitReader(body, limit+1))
		w.finish()
		if err != nil {
			return &CutShortError{URL: loc.String(), Err: err}
		}
		if n > limit {
			return c.sizeErr(loc.String(), o, n, limit)
		}
		if o.Size >= 0 && n != o.Size {
			return &SizeError{URL: loc.String(), Expected: o.Size, Got: n}
		}
		res = Result{SHA256: hex.EncodeToString(w.h.Sum(nil)), Size: n}
		return nil
	})
	return res, err
}
