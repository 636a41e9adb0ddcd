//! URL parsing and redirect resolution.

use handspun::http::{Error, Url};

#[test]
fn parses_host_port_and_target() {
    let cases = [
        ("http://example.test", "example.test", 80, "/"),
        (
            "HTTP://Example.Test:8080/a/b?q=1#frag",
            "example.test",
            8080,
            "/a/b?q=1",
        ),
        ("http://127.0.0.1:9/?x", "127.0.0.1", 9, "/?x"),
        ("http://[::1]:8080/v6", "[::1]", 8080, "/v6"),
        ("http://[::1]/", "[::1]", 80, "/"),
    ];
    for (input, host, port, target) in cases {
        let url = Url::parse(input).unwrap();
        assert_eq!(
            (url.host(), url.port(), url.target()),
            (host, port, target),
            "{input}"
        );
    }
}

#[test]
fn host_header_leaves_out_port_80() {
    assert_eq!(
        Url::parse("http://a.test/").unwrap().host_header(),
        "a.test"
    );
    assert_eq!(
        Url::parse("http://a.test:81/").unwrap().host_header(),
        "a.test:81"
    );
}

#[test]
fn other_schemes_are_unsupported_and_bad_urls_invalid() {
    let mut unsupported = vec![("FTP://a.test/", "ftp")];
    if cfg!(not(feature = "tls")) {
        unsupported.push(("https://a.test/", "https"));
    }
    for (input, scheme) in unsupported {
        assert!(
            matches!(Url::parse(input), Err(Error::UnsupportedScheme { scheme: s }) if s == scheme)
        );
    }
    for input in [
        "a.test/x",
        "://a.test",
        "http://",
        "http://:80/",
        "http://a.test:0/",
        "http://a.test:x/",
        "http://u:p@a.test/",
        "http://a .test/",
        "http://[::1/",
    ] {
        assert!(
            matches!(Url::parse(input), Err(Error::InvalidUrl { .. })),
            "{input}"
        );
    }
}

#[test]
fn join_resolves_every_kind_of_location() {
    let base = Url::parse("http://a.test:8080/dir/page?q=1").unwrap();
    let cases = [
        ("http://b.test/x", "http://b.test:80/x"),
        ("//c.test:81/y", "http://c.test:81/y"),
        ("/root", "http://a.test:8080/root"),
        ("sibling", "http://a.test:8080/dir/sibling"),
        ("?only=query", "http://a.test:8080/dir/page?only=query"),
    ];
    for (location, expected) in cases {
        assert_eq!(
            base.join(location).unwrap().to_string(),
            expected,
            "{location}"
        );
    }
    assert!(matches!(
        base.join("ftp://files.test/"),
        Err(Error::UnsupportedScheme { .. })
    ));
}

#[test]
#[cfg(feature = "tls")]
fn https_urls_default_to_port_443_and_keep_their_scheme() {
    use handspun::http::url::Scheme;

    let url = Url::parse("HTTPS://Secure.Test/a/b?q=1").unwrap();
    assert_eq!(url.scheme(), Scheme::Https);
    assert_eq!((url.host(), url.port()), ("secure.test", 443));
    assert_eq!(url.host_header(), "secure.test");
    assert_eq!(url.to_string(), "https://secure.test:443/a/b?q=1");
    assert_eq!(url.origin(), "https://secure.test:443");
    // Relative redirects keep https; an explicit http:// leaves it.
    assert_eq!(
        url.join("c").unwrap().to_string(),
        "https://secure.test:443/a/c"
    );
    assert_eq!(url.join("//other.test/").unwrap().scheme(), Scheme::Https);
    assert_eq!(url.join("http://plain.test/").unwrap().port(), 80);
    // A non-default port goes into the Host header; the origin tells
    // http and https on one port apart.
    let odd = Url::parse("https://a.test:8443/").unwrap();
    assert_eq!(odd.host_header(), "a.test:8443");
    let plain = Url::parse("http://a.test:8443/").unwrap();
    assert_ne!(odd.origin(), plain.origin());
    assert_eq!(odd.authority(), plain.authority());
}
