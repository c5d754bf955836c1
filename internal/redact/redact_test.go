package redact

import "testing"

func TestURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://pypi.org/simple/":                   "https://pypi.org/simple/",
		"http://user:SECRET@host/simple":             "http://user:xxxxx@host/simple",
		"https://host/f.whl?X-Amz-Signature=abc&x=1": "https://host/f.whl?X-Amz-Signature=xxxxx&x=1",
		"https://host/simple/?token=abc":             "https://host/simple/?token=xxxxx",
		"not a url":                                  "not a url",
		"/local/path":                                "/local/path",
	} {
		if got := URL(in); got != want {
			t.Errorf("URL(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Strip("http://user:SECRET@host/simple?token=abc&page=2"); got != "http://host/simple?page=2" {
		t.Errorf("Strip = %q", got)
	}
	if !HasSecret("http://u@host/") || HasSecret("http://host/?q=1") {
		t.Error("HasSecret")
	}
	if got := Text("pip --index-url http://me:pw@h/simple/ -r x"); got != "pip --index-url http://me:xxxxx@h/simple/ -r x" {
		t.Errorf("Text = %q", got)
	}
}
