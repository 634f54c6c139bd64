use server::web::sign_in::safe_next;

#[test]
fn only_paths_on_this_site_are_followed_after_signing_in() {
    assert_eq!(safe_next("/detect?run=abc"), "/detect?run=abc");
    for elsewhere in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "",
        "/login?x",
    ] {
        assert_eq!(safe_next(elsewhere), "/", "{elsewhere}");
    }
}
